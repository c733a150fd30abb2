/**
 * The choice over the pool: among the candidates that can take the request now, one by smooth
 * weighted round-robin (nginx's: deterministic, and each upstream's share stays within one pick
 * of its weight's); otherwise when the first of them could.
 */
import type { CapacitySpec } from '../pool-config/entry'
import { availability } from './health'
import type { HealthPolicy, UpstreamHealth } from './health-state'

export interface Candidate {
  spec: CapacitySpec
  health: UpstreamHealth
}

export type Choice =
  | { kind: 'now'; name: string; probe: boolean }
  /** `at`: the earliest time one could; null: none without an operator. */
  | { kind: 'later'; at: number | null }

/**
 * Picks for `images` at `now`. `held` names upstreams an earlier waiter is waiting for (they are
 * not taken from it); `current` is the round-robin's running weights, updated on a pick.
 */
export function choose(
  candidates: readonly Candidate[],
  images: number,
  now: number,
  policy: HealthPolicy,
  current: Map<string, number>,
  held: ReadonlySet<string> = new Set(),
): Choice {
  let best: { name: string; probe: boolean; weight: number } | null = null
  let total = 0
  let earliest: number | null = null
  for (const { spec, health } of candidates) {
    const { at, probe } = availability(health, spec, images, now, policy)
    if (at !== null && (earliest === null || at < earliest)) earliest = at
    if (at !== now || held.has(spec.name)) continue
    const weight = (current.get(spec.name) ?? 0) + spec.weight
    current.set(spec.name, weight)
    total += spec.weight
    if (!best || weight > best.weight) best = { name: spec.name, probe, weight }
  }
  if (!best) return { kind: 'later', at: earliest }
  current.set(best.name, best.weight - total)
  return { kind: 'now', name: best.name, probe: best.probe }
}
