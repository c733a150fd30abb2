/**
 * Images admitted to an upstream, counted per second over the last minute: a sliding window that
 * never under-counts (a second counts whole while any of it is in the window), so admitting by it
 * never exceeds a limit in any 60 s; at most 61 buckets, whatever the traffic.
 */

/** `[second, images]`, oldest first; `second` is the Unix time in whole seconds. */
export type ImageWindow = [number, number][]

const BUCKET_MS = 1000
export const MINUTE_MS = 60_000

/** When a bucket stops counting in a window of `spanMs`. */
const expiry = (second: number, spanMs: number) => (second + 1) * BUCKET_MS + spanMs

/** Images in buckets that overlap the last `spanMs` before `now` (inclusive of now's bucket). */
export function countIn(window: ImageWindow, now: number, spanMs: number): number {
  let sum = 0
  for (const [second, images] of window) if (expiry(second, spanMs) > now) sum += images
  return sum
}

/** Adds `images` admitted at `now`, dropping buckets older than a minute. */
export function record(window: ImageWindow, now: number, images: number): void {
  while (window.length > 0 && expiry((window[0] as [number, number])[0], MINUTE_MS) <= now)
    window.shift()
  const second = Math.floor(now / BUCKET_MS)
  const last = window[window.length - 1]
  if (last && last[0] === second) last[1] += images
  else window.push([second, images])
}

/**
 * Moves `images` admitted at `from` to the later time `to`: the call reached its upstream later
 * than it was admitted, and the upstream's own minute runs from then. Never past what was counted.
 */
export function shift(window: ImageWindow, from: number, to: number, images: number): void {
  const source = Math.floor(from / BUCKET_MS)
  const target = Math.floor(to / BUCKET_MS)
  const bucket = window.find(([second]) => second === source)
  if (target <= source || !bucket) return
  const moved = Math.min(images, bucket[1])
  bucket[1] -= moved
  const at = window.findIndex(([second]) => second >= target)
  const there = at === -1 ? undefined : window[at]
  if (there && there[0] === target) there[1] += moved
  else window.splice(at === -1 ? window.length : at, 0, [target, moved])
  if (bucket[1] === 0) window.splice(window.indexOf(bucket), 1)
}

/**
 * The earliest time from `now` at which `images` more fit under `limit` in any `spanMs`, or null
 * when they never can (more than the limit at once).
 */
export function fitsAt(
  window: ImageWindow,
  now: number,
  spanMs: number,
  limit: number,
  images: number,
): number | null {
  if (images > limit) return null
  let used = countIn(window, now, spanMs)
  if (used + images <= limit) return now
  for (const [second, count] of window) {
    const end = expiry(second, spanMs)
    if (end <= now) continue
    used -= count
    if (used + images <= limit) return end
  }
  return now
}

/** Each bucket still counted at `from`, as `[when it stops counting, images]`, oldest first. */
export function releases(window: ImageWindow, from: number): [number, number][] {
  const out: [number, number][] = []
  for (const [second, images] of window) {
    const end = expiry(second, MINUTE_MS)
    if (end > from) out.push([end, images])
  }
  return out
}
