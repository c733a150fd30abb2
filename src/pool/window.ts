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
