/**
 * A deadline as an AbortSignal that can be cleared: one timer for a whole read or a request's
 * fetches (no timer or race per chunk), which tests drive with fake timers.
 */

export interface Deadline {
  readonly signal: AbortSignal
  /** Stops the timer (the work ended first). */
  clear(): void
}

/** Aborts its signal `ms` after now, unless cleared first. */
export function deadline(ms: number): Deadline {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DOMException(`deadline of ${ms} ms passed`, 'TimeoutError')),
    ms,
  )
  return { signal: controller.signal, clear: () => clearTimeout(timer) }
}
