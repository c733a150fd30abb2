/**
 * One upstream's capacity and health as a pure state machine (the clock is an argument): images
 * in the last minute against its capacity (declared, or learned from 429s), cool-down after a
 * 429, a circuit that opens after consecutive failures and half-opens for exactly one probe, and
 * `disabled` after its key or quota is refused.
 */
import type { CapacitySpec } from '../pool-config/entry'
import type { ErrorCategory, HealthPolicy, Outcome, Phase, UpstreamHealth } from './health-state'
import { countIn, fitsAt, MINUTE_MS, record } from './window'

export function phaseOf(health: UpstreamHealth, now: number): Phase {
  const { disabled } = health
  if (disabled && (disabled.until === null || disabled.until > now)) return 'disabled'
  if (health.circuit === 'open' && now < health.openUntil) return 'open'
  // An open circuit past its pause, and a disabled upstream past its time, take one probe.
  if (health.circuit !== 'closed') return 'half_open'
  if (health.cooldownUntil > now) return 'cooling_down'
  return 'healthy'
}

/** The images a minute admitted: declared, else learned, else null (no limit known). */
export function limitOf(health: UpstreamHealth, spec: CapacitySpec): number | null {
  return spec.imagesPerMinute ?? health.learnedPerMinute
}

/** When `images` could be admitted (`now` if at once), and whether as the probe; null: not without an operator. */
export interface Availability {
  at: number | null
  probe: boolean
}

export function availability(
  health: UpstreamHealth,
  spec: CapacitySpec,
  images: number,
  now: number,
  policy: HealthPolicy,
): Availability {
  const phase = phaseOf(health, now)
  let gate = now
  if (phase === 'disabled') {
    const until = health.disabled?.until ?? null
    if (until === null) return { at: null, probe: true }
    gate = until
  } else if (phase === 'open') gate = health.openUntil
  else if (phase === 'half_open' && health.probe && health.probe.until > now)
    // Waits for the probe's outcome; this guess only matters for estimates.
    gate = now + Math.min(health.probe.until - now, policy.openMs)
  else if (phase === 'cooling_down') gate = health.cooldownUntil
  const probe = phase === 'disabled' || phase === 'open' || phase === 'half_open'
  const at = capacityAt(health, spec, images, gate)
  return { at, probe }
}

/** When the window has room for `images` from `from` on; null when it never will. */
function capacityAt(
  health: UpstreamHealth,
  spec: CapacitySpec,
  images: number,
  from: number,
): number | null {
  const limit = limitOf(health, spec)
  if (limit === null) return from
  // A learned figure is a guess: a request above it may still go, alone in its minute.
  const minute = spec.imagesPerMinute === null ? Math.max(limit, images) : limit
  const byMinute = fitsAt(health.window, from, MINUTE_MS, minute, images)
  if (byMinute === null || spec.imagesPer10s === null) return byMinute
  // A request larger than the 10 s share goes alone in its 10 s.
  const tenth = Math.max(spec.imagesPer10s, images)
  let at = byMinute
  for (let step = 0; step < 4; step++) {
    const bySecond = fitsAt(health.window, at, 10_000, tenth, images) as number
    const again = fitsAt(health.window, bySecond, MINUTE_MS, minute, images) as number
    if (bySecond === at && again === at) return at
    at = Math.max(bySecond, again)
  }
  return at
}

/** Admits `images` at `now` under `ticket` (as the probe when `probe`). */
export function admit(
  health: UpstreamHealth,
  images: number,
  now: number,
  ticket: string,
  probe: boolean,
  policy: HealthPolicy,
): void {
  record(health.window, now, images)
  if (!probe) return
  health.probe = { ticket, until: now + policy.probeLeaseMs }
  health.circuit = 'half_open'
  health.disabled = null
}

/** A granted call as the pool remembers it: what a report refers to. */
export interface GrantFacts {
  ticket: string
  images: number
  probe: boolean
}

/** Applies a call's outcome. Only the current probe's outcome moves a half-open circuit. */
export function settle(
  health: UpstreamHealth,
  spec: CapacitySpec,
  grant: GrantFacts,
  outcome: Outcome,
  now: number,
  policy: HealthPolicy,
): void {
  const isProbe = grant.probe && health.probe?.ticket === grant.ticket
  if (outcome.kind !== 'answered' && outcome.kind !== 'abandoned')
    health.lastError = { category: categoryOf(outcome), at: now }
  switch (outcome.kind) {
    case 'answered':
      health.failureStreak = 0
      health.rateLimitStreak = 0
      if (isProbe) close(health)
      else if (health.learnedPerMinute !== null && now - health.learnedAt >= MINUTE_MS) {
        health.learnedPerMinute += 1
        health.learnedAt = now
      }
      return
    case 'rate_limited': {
      health.failureStreak = 0
      health.rateLimitStreak += 1
      const backoff = policy.firstCooldownMs * 2 ** Math.min(health.rateLimitStreak - 1, 20)
      const wait =
        outcome.retryAfterMs === null
          ? Math.min(backoff, policy.maxCooldownMs)
          : Math.min(Math.max(outcome.retryAfterMs, 0), policy.maxRetryAfterMs)
      health.cooldownUntil = Math.max(health.cooldownUntil, now + wait)
      if (spec.imagesPerMinute === null) {
        const before = countIn(health.window, now, MINUTE_MS) - grant.images
        health.learnedPerMinute = Math.max(1, Math.min(health.learnedPerMinute ?? before, before))
        health.learnedAt = now
      }
      // It answered: the circuit closes, and the cool-down holds it back.
      if (isProbe) close(health)
      return
    }
    case 'failed':
      health.failureStreak += 1
      if (isProbe) openCircuit(health, now, health.openings + 1, policy)
      else if (health.circuit === 'closed' && health.failureStreak >= policy.failuresToOpen)
        openCircuit(health, now, 1, policy)
      return
    case 'credentials_rejected':
    case 'quota_exhausted':
      disable(health, policy.disableMs === null ? null : now + policy.disableMs)
      return
    case 'abandoned':
      if (isProbe) health.probe = null
      return
  }
}

function categoryOf(outcome: Exclude<Outcome, { kind: 'answered' | 'abandoned' }>): ErrorCategory {
  return outcome.kind === 'failed' ? outcome.cause : outcome.kind
}

function openCircuit(health: UpstreamHealth, now: number, openings: number, policy: HealthPolicy) {
  health.circuit = 'open'
  health.openings = openings
  health.openUntil =
    now + Math.min(policy.openMs * 2 ** Math.min(openings - 1, 20), policy.maxOpenMs)
  health.probe = null
}

function close(health: UpstreamHealth): void {
  health.circuit = 'closed'
  health.openings = 0
  health.failureStreak = 0
  health.probe = null
  health.disabled = null
}

/** Takes an upstream out until `until` (null: until enabled); it comes back through a probe. */
export function disable(health: UpstreamHealth, until: number | null): void {
  health.disabled = { until }
  health.circuit = 'half_open'
  health.probe = null
  health.failureStreak = 0
}

/** The operator's action: back in the pool at once, with a clean record. */
export function enable(health: UpstreamHealth): void {
  close(health)
  health.cooldownUntil = 0
  health.rateLimitStreak = 0
}
