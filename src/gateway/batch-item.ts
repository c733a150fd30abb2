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
import { type BackgroundEnd, BackgroundRow } from './background-log'
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

/** Each attempt at an item writes its request-log row (kind `batch`), like any request. */
export function gatewayBatchCore(bg: BackgroundContext): BatchCore {
  return {
    obtainForBatch: async (item, owner, options) => {
      const id = options.requestId ?? `gw_${crypto.randomUUID().replaceAll('-', '')}`
      const row = new BackgroundRow(id, owner.keyId, 'batch')
      try {
        const outcome = await obtainItem(bg, item, owner, options, row)
        bg.waitUntil(row.write(bg.env.USAGE, endOf(outcome)))
        return outcome
      } catch (error) {
        const failure =
          error instanceof GatewayError ? error.failure : ({ kind: 'internal' } as const)
        bg.waitUntil(row.write(bg.env.USAGE, { failure }))
        if (error instanceof GatewayError) return failed(error.failure)
        throw error
      }
    },
  }
}

/** An item's outcome as its row says it; a batch's cap is `cancelled_budget`, a 402. */
function endOf(outcome: CoreOutcome): BackgroundEnd {
  if (outcome.status === 'ok') return { failure: null }
  if (outcome.status === 'failed') return { failure: outcome.failure }
  return outcome.failure ? { failure: outcome.failure } : { status: 402, code: 'cancelled_budget' }
}

async function obtainItem(
  bg: BackgroundContext,
  item: BatchItemSpec,
  owner: BatchOwner,
  options: ObtainOptions,
  row: BackgroundRow,
): Promise<CoreOutcome> {
  const { env, settings } = bg
  const principal = await principalOf(env, settings, owner.keyId)
  if (!principal) return failed({ kind: 'invalid_api_key' })
  const parsed = itemRequest(item, 0)
  if (!parsed.ok) return failed(parsed.failure)
  const request = normalize(parsed.input)
  row.request(request)
  authorize(settings, principal, request)
  assertUpstreamSupports(settings.upstream, request)
  const ctx: GatewayContext = { ...bg, principal, origin: '', timing: NO_TIMING }
  const store = nearbyStore(ctx)
  const key = await cacheKey(request, cacheContext(ctx))
  const entry = await store.lookup(key)
  // The demo generator costs nothing, so its hits spare nothing.
  const saved = (usage: Record<string, unknown> | undefined) =>
    settings.demo ? 0 : costOf(request, usage)
  if (entry) {
    const counting = recordHit(env, principal, request, entry.result.usage)
    if (counting) bg.waitUntil(counting)
    row.hit(entry.images, saved(entry.result.usage))
    return { status: 'ok', cache: 'HIT', costMicros: 0 }
  }
  row.cache('MISS')
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
    log: row.identity,
  }
  const settled = (await ownerOf(ctx, key).settle(joining, options.mayStart)) as Settled
  switch (settled.kind) {
    case 'done':
      if (!settled.started) {
        row.cache('JOIN')
        return { status: 'ok', cache: 'JOIN', costMicros: 0 }
      }
      return { status: 'ok', cache: 'MISS', costMicros: spent(request, settled.usage, joining) }
    case 'cached': {
      // Stored just before this item asked: a hit (its ledger counts none, so it saves nothing).
      const stored = await store.store.lookup(key)
      row.hit(stored?.images ?? [], 0)
      return { status: 'ok', cache: 'HIT', costMicros: 0 }
    }
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
    return { status: 'over_budget', failure }
  return { status: 'failed', failure, retryable: isRetryable(failure) }
}
