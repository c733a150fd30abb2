/**
 * What the items consumer needs from the gateway's core: one item obtained through the same
 * owner, cache, coalescing, capacity and billing as any request, told whether it may start a paid
 * generation. The gateway implements it (phase 2); tests fake it.
 */
import type { Failure } from '../../failure'
import type { BatchItemSpec } from './item-message'

/** The key a batch belongs to; the core looks up its principal (and refuses a revoked key). */
export interface BatchOwner {
  keyId: string
}

export interface ObtainOptions {
  /**
   * False when the batch's cap cannot hold the item's estimate: answer from the cache or join a
   * generation in flight, but start none (then answer over_budget).
   */
  mayStart: boolean
  /** The attempt's id in the request log (one row per attempt); unset: a fresh one. */
  requestId?: string
}

export type CoreOutcome =
  /** The item's result is stored. HIT: it was; JOIN: another request's generation made it. */
  | { status: 'ok'; cache: 'HIT' | 'MISS' | 'JOIN'; costMicros: number }
  /**
   * A paid generation was needed and may not start: the batch's cap, or (`failure`) the key's
   * balance or budget.
   */
  | { status: 'over_budget'; failure?: Failure }
  /** `retryable`: worth another attempt later (upstream down or rate limited). */
  | { status: 'failed'; failure: Failure; retryable: boolean }

export interface BatchCore {
  obtainForBatch(
    item: BatchItemSpec,
    owner: BatchOwner,
    options: ObtainOptions,
  ): Promise<CoreOutcome>
}
