/**
 * The gateway core for batch items: one item obtained through the same owner, cache, coalescing
 * and billing as any request, with no client waiting. A cached item costs nothing, an item already
 * in flight is joined, and only an item whose estimate the batch's cap holds may start one.
 */
import { principalOf } from '../access/owner'
import { authorize } from '../access/permissions'
import type {
  BatchCore,
  BatchOwner,
  CoreOutcome,
  ObtainOptions,
} from '../background/batches/batch-core'
import type { BatchItemSpec } from '../background/batches/item-message'
import { itemRequest } from '../background/batches/item-spec'
import { costOf } from '../billing/prices'
import { payerFor, recordHit } from '../billing/reservations'
import { cacheKey } from '../cache/cache-key'
import type { Bindings } from '../env'
import { GatewayError } from '../errors'
import type { Failure } from '../failure'
import type { JoinRequest, Settled } from '../generation/coordinator'
import { normalize } from '../schema/image-request'
import type { Settings } from '../settings'
import { generationPayload } from '../upstream/payload'
import { assertUpstreamSupports } from '../upstream/target'
import { type GatewayContext, NO_TIMING } from './context'
import { cacheContext, nearbyStore, ownerOf } from './obtain'

/** Where the core runs: the consumer's bindings, settings and background work. */
export interface BackgroundContext {
  env: Bindings
  settings: Settings
  waitUntil: (work: Promise<unknown>) => void
}

/** Failures worth another attempt later: the upstream busy or down, or our own trouble. */
const RETRYABLE: readonly Failure['kind'][] = [
  'upstream_rate_limited',
  'upstream_unavailable',
  'upstream_quota_exhausted',
  'internal',
]

export const isRetryable = (failure: Failure) => RETRYABLE.includes(failure.kind)
/** A payer's refusal: the key's balance or the anonymous budget, which stops an item cleanly. */
const BUDGET_CODES = ['insufficient_balance', 'daily_budget_exhausted']

export function gatewayBatchCore(bg: BackgroundContext): BatchCore {
  return {
    obtainForBatch: async (item, owner, options) => {
      try {
        return await obtainItem(bg, item, owner, options)
      } catch (error) {
        if (error instanceof GatewayError) return failed(error.failure)
        throw error
      }
    },
  }
}

async function obtainItem(
  bg: BackgroundContext,
  item: BatchItemSpec,
  owner: BatchOwner,
  options: ObtainOptions,
): Promise<CoreOutcome> {
  const { env, settings } = bg
  const principal = await principalOf(env, settings, owner.keyId)
  if (!principal) return failed({ kind: 'invalid_api_key' })
  const parsed = itemRequest(item, 0)
  if (!parsed.ok) return failed(parsed.failure)
  const request = normalize(parsed.input)
  authorize(settings, principal, request)
  assertUpstreamSupports(settings.upstream, request)
  const ctx: GatewayContext = { ...bg, principal, origin: '', timing: NO_TIMING }
  const store = nearbyStore(ctx)
  const key = await cacheKey(request, cacheContext(ctx))
  const entry = await store.lookup(key)
  if (entry) {
    const counting = recordHit(env, principal, request, entry.result.usage)
    if (counting) bg.waitUntil(counting)
    return { status: 'ok', cache: 'HIT', costMicros: 0 }
  }
  const joining: JoinRequest = {
    key,
    request,
    payload: generationPayload(parsed.input),
    inputs: { objects: [], keep: settings.keepEditInputs },
    upstream: settings.upstream,
    replace: false,
    // Nobody is given URLs: a failed generation's pictures need not outlive it.
    shape: 'json',
    origin: '',
    ttlSeconds: settings.cacheTtlSeconds,
    payer: payerFor(settings, principal, request),
    keepAliveMs: settings.sseKeepAliveMs,
  }
  const settled = (await ownerOf(ctx, key).settle(joining, options.mayStart)) as Settled
  switch (settled.kind) {
    case 'done':
      if (!settled.started) return { status: 'ok', cache: 'JOIN', costMicros: 0 }
      return { status: 'ok', cache: 'MISS', costMicros: spent(request, settled.usage, joining) }
    case 'cached':
      return { status: 'ok', cache: 'HIT', costMicros: 0 }
    case 'not_started':
      return { status: 'over_budget' }
    case 'failed':
      return failed(settled.failure)
  }
}

/** What the generation cost: its usage priced, or without a report the estimate it held. */
function spent(
  request: JoinRequest['request'],
  usage: Record<string, unknown> | null,
  joining: JoinRequest,
): number {
  if (usage) return costOf(request, usage)
  return joining.payer?.micros ?? 0
}

function failed(failure: Failure): CoreOutcome {
  if (failure.kind === 'forbidden' && BUDGET_CODES.includes(failure.code))
    return { status: 'over_budget' }
  return { status: 'failed', failure, retryable: isRetryable(failure) }
}
