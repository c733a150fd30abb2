/**
 * When the pool's queue next needs its pump: the earliest waiter's deadline, or the moment an
 * upstream could take what a waiter asks of it, computed once per upstream and image count.
 */
import type { CapacitySpec } from '../pool-config/entry'
import { availability } from './health'
import type { HealthPolicy, UpstreamHealth } from './health-state'

/** The earliest deadline, or moment an upstream could take what a waiter asks of it. */
export function wakeFrom(
  queue: readonly {
    facts: { candidates: readonly CapacitySpec[]; images: number }
    deadline: number
  }[],
  health: (name: string) => UpstreamHealth,
  now: number,
  policy: HealthPolicy,
): number | null {
  let wake: number | null = null
  // Each upstream's asks, by distinct image count (at most 10 each): cheap for long queues.
  const asks = new Map<string, [CapacitySpec, Set<number>]>()
  for (const { facts, deadline } of queue) {
    wake = wake === null ? deadline : Math.min(wake, deadline)
    for (const spec of facts.candidates) {
      const known = asks.get(spec.name) ?? [spec, new Set<number>()]
      known[1].add(facts.images)
      asks.set(spec.name, known)
    }
  }
  for (const [name, [spec, counts]] of asks) {
    for (const images of counts) {
      const { at } = availability(health(name), spec, images, now, policy)
      // Free now yet not taken: held for an earlier waiter, whose own time is counted.
      if (wake !== null && at !== null && at > now) wake = Math.min(wake, at)
    }
  }
  return wake
}
