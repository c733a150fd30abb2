/**
 * A call's end, as the pool learns it: the gateway's `Failure` (or none) mapped to an `Outcome`.
 * A request the upstream judged (a 400, a moderation block) says the upstream is up.
 */
import type { Failure } from '../failure'
import type { Outcome } from './health-state'

/** `retryAfterMs`: a 429's wait to the millisecond, when the caller read it (retryAfterMs()). */
export function outcomeOf(failure: Failure | null, retryAfterMs: number | null = null): Outcome {
  if (failure === null) return { kind: 'answered' }
  switch (failure.kind) {
    case 'content_policy':
    case 'upstream_rejected':
      return { kind: 'answered' }
    case 'upstream_rate_limited': {
      const seconds = failure.retryAfter === null ? Number.NaN : Number(failure.retryAfter)
      const fromFailure = Number.isFinite(seconds) ? seconds * 1000 : null
      return { kind: 'rate_limited', retryAfterMs: retryAfterMs ?? fromFailure }
    }
    case 'upstream_quota_exhausted':
      return { kind: 'quota_exhausted' }
    case 'upstream_credentials_rejected':
      return { kind: 'credentials_rejected' }
    case 'upstream_unavailable':
      return { kind: 'failed', cause: failure.cause }
    default:
      // The gateway's own failures (the client left, storage, a deadline of ours) say nothing
      // of the upstream.
      return { kind: 'abandoned' }
  }
}
