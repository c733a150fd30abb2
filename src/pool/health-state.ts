/**
 * The words of an upstream's health: its states, how a call ended, the policy's figures, and the
 * persisted record the state machine (health.ts) moves.
 */
import type { ImageWindow } from './window'

export type Phase = 'healthy' | 'cooling_down' | 'open' | 'half_open' | 'disabled'
export type ErrorCategory =
  | 'rate_limited'
  | 'status'
  | 'network'
  | 'timeout'
  | 'malformed'
  | 'interrupted'
  | 'credentials_rejected'
  | 'quota_exhausted'

/** How a call on a granted upstream ended, as the pool learns it. */
export type Outcome =
  /** It answered: a success, or a refusal of the request itself (a 400, a moderation block). */
  | { kind: 'answered' }
  | { kind: 'rate_limited'; retryAfterMs: number | null }
  | { kind: 'failed'; cause: 'status' | 'network' | 'timeout' | 'malformed' | 'interrupted' }
  | { kind: 'credentials_rejected' }
  | { kind: 'quota_exhausted' }
  /** Never sent, or given up before the upstream could be judged: frees a probe, judges nothing. */
  | { kind: 'abandoned' }

export interface HealthPolicy {
  /** Consecutive failures (5xx, timeouts, connection errors) that open the circuit. */
  failuresToOpen: number
  /** How long an opened circuit waits before a probe; doubles on each failed probe. */
  openMs: number
  maxOpenMs: number
  /** A probe whose outcome never came (its caller died) is given up after this. */
  probeLeaseMs: number
  /** How long a rejected key or exhausted quota keeps an upstream out; null: until enabled. */
  disableMs: number | null
  /** A 429 without retry-after waits this, doubling on each 429 in a row, up to the max. */
  firstCooldownMs: number
  maxCooldownMs: number
  /** The longest retry-after honoured as given. */
  maxRetryAfterMs: number
}

export const DEFAULT_POLICY: HealthPolicy = {
  failuresToOpen: 5,
  openMs: 30_000,
  maxOpenMs: 300_000,
  probeLeaseMs: 600_000,
  disableMs: 900_000,
  firstCooldownMs: 1_000,
  maxCooldownMs: 60_000,
  maxRetryAfterMs: 600_000,
}

/** Plain data, persisted as it is. */
export interface UpstreamHealth {
  window: ImageWindow
  cooldownUntil: number
  rateLimitStreak: number
  /** Images a minute learned from 429s when none is declared; null: no 429 seen. */
  learnedPerMinute: number | null
  /** When the learned figure last changed (it grows by one a minute without a 429). */
  learnedAt: number
  failureStreak: number
  circuit: 'closed' | 'open' | 'half_open'
  openUntil: number
  openings: number
  probe: { ticket: string; until: number } | null
  disabled: { until: number | null } | null
  lastError: { category: ErrorCategory; at: number } | null
}

export function freshHealth(): UpstreamHealth {
  return {
    window: [],
    cooldownUntil: 0,
    rateLimitStreak: 0,
    learnedPerMinute: null,
    learnedAt: 0,
    failureStreak: 0,
    circuit: 'closed',
    openUntil: 0,
    openings: 0,
    probe: null,
    disabled: null,
    lastError: null,
  }
}
