/**
 * One upstream as the operator's admin view shows it: its state, images in the last minute
 * against its capacity, its last error (a category and a time, never a message), and its queue.
 */
import type { CapacitySpec } from '../pool-config/entry'
import { phaseOf } from './health'
import type { ErrorCategory, Phase, UpstreamHealth } from './health-state'
import { countIn, MINUTE_MS } from './window'

export interface UpstreamView {
  name: string
  state: Phase
  images_last_minute: number
  /** Images a minute it takes: declared, learned from 429s, or null (none known yet). */
  capacity: number | null
  capacity_source: 'declared' | 'learned' | null
  /** When its state next changes by itself (end of a cool-down, a pause, a disablement). */
  state_until: string | null
  last_error: { category: ErrorCategory; at: string } | null
  /** Requests waiting that this upstream could serve. */
  queue_length: number
}

export function viewOf(
  spec: CapacitySpec,
  health: UpstreamHealth,
  queueLength: number,
  now: number,
): UpstreamView {
  const state = phaseOf(health, now)
  const capacity = spec.imagesPerMinute ?? health.learnedPerMinute
  const until =
    state === 'cooling_down'
      ? health.cooldownUntil
      : state === 'open'
        ? health.openUntil
        : state === 'disabled'
          ? (health.disabled?.until ?? null)
          : null
  return {
    name: spec.name,
    state,
    images_last_minute: countIn(health.window, now, MINUTE_MS),
    capacity,
    capacity_source:
      spec.imagesPerMinute !== null ? 'declared' : capacity !== null ? 'learned' : null,
    state_until: until === null ? null : new Date(until).toISOString(),
    last_error: health.lastError && {
      category: health.lastError.category,
      at: new Date(health.lastError.at).toISOString(),
    },
    queue_length: queueLength,
  }
}
