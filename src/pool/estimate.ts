/**
 * How long until `need` images could start on some candidates, for a truthful Retry-After and
 * for deciding whether waiting is worth it: each upstream's images free up as its window's
 * seconds expire, and capacity used again frees a minute later. An estimate, never a promise.
 */
import type { Candidate } from './choose'
import { availability, limitOf } from './health'
import type { HealthPolicy } from './health-state'
import { countIn, MINUTE_MS, releases } from './window'

/** Past this many minutes ahead the figure is extrapolated, not simulated. */
const MAX_MINUTES = 60

export function estimateWaitMs(
  candidates: readonly Candidate[],
  need: number,
  now: number,
  policy: HealthPolicy,
): number | null {
  const events: [number, number][] = []
  let perMinute = 0
  let soonest: number | null = null
  for (const { spec, health } of candidates) {
    const gate = availability(health, spec, 1, now, policy).at
    if (gate === null) continue
    const limit = limitOf(health, spec)
    if (limit === null) {
      // No known limit: it takes everything once its gate opens.
      soonest = soonest === null ? gate : Math.min(soonest, gate)
      continue
    }
    perMinute += limit
    events.push([gate, Math.max(0, limit - countIn(health.window, gate, MINUTE_MS))])
    events.push(...releases(health.window, gate))
  }
  if (soonest !== null) return Math.max(0, soonest - now)
  if (events.length === 0) return null
  const minutes = Math.min(Math.ceil(need / perMinute) + 1, MAX_MINUTES)
  const timeline: [number, number][] = []
  for (let k = 0; k < minutes; k++)
    for (const [at, images] of events) timeline.push([at + k * MINUTE_MS, images])
  timeline.sort((a, b) => a[0] - b[0])
  let freed = 0
  for (const [at, images] of timeline) {
    freed += images
    if (freed >= need) return Math.max(0, at - now)
  }
  return Math.ceil((need / perMinute) * MINUTE_MS)
}
