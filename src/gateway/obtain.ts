/**
 * The gateway's one way through: a validated request (a generation or an edit) is answered from
 * the cache, or by joining the one generation for its key, whose owner streams the answer.
 */
import { answerResponse, type CacheStatus } from '../answer/respond'
import { payerFor } from '../billing/reservations'
import { type CacheContext, cacheKey, POOL_CACHE_UPSTREAM } from '../cache/cache-key'
import { releaseInputs, type StoredInputs } from '../cache/inputs'
import { NearbyStore } from '../cache/nearby'
import { ResultStore } from '../cache/store'
import { fail } from '../errors'
import type { Failure } from '../failure'
import type { JoinRequest, JoinResult } from '../generation/coordinator'
import { poolRefusal } from '../pool/support'
import type { Principal } from '../principal'
import { afterPipe } from '../stream/after-pipe'
import { inputObjects } from '../upstream/payload'
import { assertUpstreamSupports } from '../upstream/target'
import type { Ask, Obtained } from './ask'
import type { GatewayContext } from './context'
import { answerHit } from './hit'

/**
 * The answer to `ask`. An edit's stored pictures are the core's from here: let go of at once on a
 * hit or a refusal, or handed to the generation's owner, which lets go of them when done.
 */
export async function obtain(ctx: GatewayContext, ask: Ask): Promise<Obtained> {
  const { settings } = ctx
  const inputs: StoredInputs = {
    objects: inputObjects(ask.payload),
    keep: settings.keepEditInputs,
  }
  let handedOver = false
  ctx.log?.request(ask.request)
  try {
    assertUpstreamSupports(settings.upstream, ask.request)
    // A pool routes by capability: refused here only if no upstream can (nothing called or paid).
    const refusal = settings.upstream.pooled
      ? poolRefusal(settings.upstream.entries, ask.request, ask.payload)
      : null
    if (refusal) fail(refusal)
    const store = nearbyStore(ctx)
    const key = await cacheKey(ask.request, cacheContext(ctx))
    ctx.timing.start('cache', 'Cache lookup (edge, then R2)')
    const entry = ask.replace ? null : await store.lookup(key)
    ctx.timing.end('cache')
    if (entry) return answerHit(ctx, ask, entry, store)
    handedOver = true
    return await join(ctx, ask, { key, inputs, store })
  } finally {
    if (!handedOver) ctx.waitUntil(releaseInputs(ctx.env.IMAGES, inputs, false))
  }
}

/** Joins the generation for `key` (its owner starts one if none runs) and answers from it. */
async function join(
  ctx: GatewayContext,
  ask: Ask,
  miss: { key: string; inputs: StoredInputs; store: NearbyStore },
): Promise<Obtained> {
  const { settings } = ctx
  const { request, shape, replace } = ask
  const joining: JoinRequest = {
    key: miss.key,
    request,
    payload: ask.payload,
    inputs: miss.inputs,
    upstream: settings.upstream,
    replace,
    shape,
    origin: ctx.origin,
    ttlSeconds: settings.cacheTtlSeconds,
    payer: payerFor(settings, ctx.principal, request),
    keepAliveMs: settings.sseKeepAliveMs,
    log: ctx.log?.identity(ctx.principal) ?? null,
  }
  ctx.timing.start(
    'owner',
    'Until the owner of the generation answered (upstream headers or first image)',
  )
  const owner = ownerOf(ctx, miss.key)
  const joined = (await owner.join(joining)) as JoinResult
  ctx.timing.end('owner')
  if (joined.kind === 'cached') {
    const committed = await miss.store.store.lookup(miss.key)
    return committed ? answerHit(ctx, ask, committed, miss.store) : fail({ kind: 'internal' })
  }
  if (joined.kind === 'failed') fail(joined.failure)
  ctx.log?.owner(joined.cache)
  if (joined.upstreamFirstByteMs !== null)
    ctx.timing.metric(
      'upstream',
      joined.upstreamFirstByteMs,
      'Upstream time to first byte (headers)',
    )
  const cache: CacheStatus = replace ? 'BYPASS' : 'MISS'
  if (shape === 'redirect') {
    return joined.firstImage
      ? { kind: 'image', image: joined.firstImage, cache }
      : fail({ kind: 'internal' })
  }
  const headers: Record<string, string> = { 'x-cache': cache, 'x-upstream': joined.upstreamKind }
  if (joined.upstreamRequestId) headers['x-request-id'] = joined.upstreamRequestId
  // A replaced entry: once its answer has ended (the new result is committed by then), this data
  // centre forgets the old manifest instead of serving it until it expires.
  const forget = async (completed: boolean) => {
    if (completed) await miss.store.forget(miss.key)
  }
  const body = replace && joined.body ? afterPipe(joined.body, ctx.waitUntil, forget) : joined.body
  const failure = (): Promise<Failure | null> => owner.failureOf(joined.generationId)
  const response = answerResponse(shape, body, headers)
  return { kind: 'response', response, failure, upstream: joined.upstreamName }
}

/** The result store through this data centre's edge cache. */
export function nearbyStore(ctx: GatewayContext): NearbyStore {
  const store = new ResultStore(ctx.env.IMAGES, ctx.settings.cacheTtlSeconds)
  return new NearbyStore(store, (work) => ctx.waitUntil(work.catch(() => {})))
}

/** The owner of a cache key, the Durable Object named by the key: requests join its generation. */
export function ownerOf(ctx: GatewayContext, key: string) {
  return ctx.env.GENERATIONS.get(ctx.env.GENERATIONS.idFromName(key))
}

/** The upstream and cache scope a result belongs to. */
export function cacheContext({ settings, principal }: GatewayContext): CacheContext {
  return {
    upstream: settings.demo
      ? 'demo'
      : settings.upstream.pooled
        ? POOL_CACHE_UPSTREAM
        : settings.upstream.baseUrl,
    scope: ownCache(principal) ? principal.record.id : null,
  }
}

function ownCache(principal: Principal): principal is Extract<Principal, { kind: 'managed' }> {
  return principal.kind === 'managed' && principal.record.cacheScope === 'key'
}
