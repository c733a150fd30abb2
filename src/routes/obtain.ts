/**
 * Answers a validated request: from the cache, or by joining the one generation for its key,
 * whose owner streams the finished answer bytes that are passed to the client untouched.
 * Shared by the API routes (generations, edits) and the embed route, so all pay at most once
 * per picture.
 */
import { endTime, setMetric, startTime } from 'hono/timing'
import { payerFor, recordHit } from '../access/billing'
import { answerResponse, type CacheStatus } from '../answer/respond'
import type { AnswerShape } from '../answer/shapes'
import { type CacheContext, cacheKey } from '../cache/cache-key'
import { discardInputs } from '../cache/inputs'
import { NearbyStore } from '../cache/nearby'
import { type Manifest, ResultStore } from '../cache/store'
import type { AppContext, Principal } from '../env'
import { fail } from '../errors'
import type { Failure } from '../failure'
import type { JoinRequest, JoinResult } from '../generation/coordinator'
import { hitBody } from '../generation/hit'
import type { StoredImage } from '../result/result'
import {
  type ImageRequest,
  kindOf,
  type NormalizedImageRequest,
  upstreamBody,
} from '../schema/image-request'
import { afterPipe } from '../stream/after-pipe'
import type { UpstreamPayload } from '../upstream/payload'
import { assertUpstreamSupports } from '../upstream/target'

/** What a route gets back: the answer, or (redirect shape) the first image to point at. */
export type Obtained =
  | {
      kind: 'response'
      response: Response
      /** How the generation behind a streamed answer ended, to ask once the answer has (misses). */
      failure?: () => Promise<Failure | null>
    }
  | { kind: 'image'; image: StoredImage; cache: CacheStatus }

/** The answer to this request in `shape`; `replace` skips the cache and replaces the entry. */
export function obtainAnswer(
  c: AppContext,
  input: ImageRequest,
  request: NormalizedImageRequest,
  shape: AnswerShape,
  replace: boolean,
): Promise<Obtained> {
  const payload: UpstreamPayload = { kind: 'generation', body: upstreamBody(input) }
  return obtain(c, { payload, discard: [], keepInputs: false }, request, shape, replace)
}

/** What a miss hands to the owner: the upstream payload, and temporary inputs to delete after. */
export interface UpstreamWork {
  payload: UpstreamPayload
  discard: string[]
  /** Keep the inputs when this request's own generation stores its result (KEEP_EDIT_INPUTS). */
  keepInputs: boolean
}

/**
 * The answer to a request whose upstream payload is ready (an edit's pictures are stored): from
 * the cache (its temporary inputs then deleted at once), or from its generation, whose owner
 * deletes them. On a failure the caller deletes them.
 */
export async function obtain(
  c: AppContext,
  work: UpstreamWork,
  request: NormalizedImageRequest,
  shape: AnswerShape,
  replace: boolean,
): Promise<Obtained> {
  const settings = c.var.settings
  const upstream = settings.upstream
  assertUpstreamSupports(upstream, request)
  const store = nearbyStore(c)
  const principal = c.get('principal')
  const key = await cacheKey(request, cacheContext(settings.demo, upstream.baseUrl, principal))
  const origin = new URL(c.req.url).origin
  startTime(c, 'cache', 'Cache lookup (edge, then R2)')
  const entry = replace ? null : await store.lookup(key)
  endTime(c, 'cache')
  if (entry) {
    if (work.discard.length > 0) c.executionCtx.waitUntil(discardInputs(c.env.IMAGES, work.discard))
    return fromCache(c, request, shape, entry, store)
  }

  const join: JoinRequest = {
    key,
    request,
    payload: work.payload,
    discard: work.discard,
    keepInputs: work.keepInputs,
    upstream,
    replace,
    shape,
    origin,
    ttlSeconds: settings.cacheTtlSeconds,
    payer: payerFor(settings, principal, request),
    keepAliveMs: settings.sseKeepAliveMs,
  }
  startTime(
    c,
    'owner',
    'Until the owner of the generation answered (upstream headers or first image)',
  )
  const owner = ownerOf(c, key)
  const joined = (await owner.join(join)) as JoinResult
  endTime(c, 'owner')
  if (joined.kind === 'cached') {
    const committed = await store.store.lookup(key)
    return committed ? fromCache(c, request, shape, committed, store) : fail({ kind: 'internal' })
  }
  if (joined.kind === 'failed') fail(joined.failure)
  if (joined.upstreamFirstByteMs !== null)
    setMetric(c, 'upstream', joined.upstreamFirstByteMs, 'Upstream time to first byte (headers)')
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
  const waitUntil = (work: Promise<unknown>) => c.executionCtx.waitUntil(work)
  const forget = async (completed: boolean) => {
    if (completed) await store.forget(key)
  }
  const body = replace && joined.body ? afterPipe(joined.body, waitUntil, forget) : joined.body
  const failure = (): Promise<Failure | null> => owner.failureOf(joined.generationId)
  return { kind: 'response', response: answerResponse(shape, body, headers), failure }
}

/** The result store through this data centre's edge cache (see src/cache/nearby.ts). */
function nearbyStore(c: AppContext): NearbyStore {
  const store = new ResultStore(c.env.IMAGES, c.var.settings.cacheTtlSeconds)
  return new NearbyStore(store, (work) => c.executionCtx.waitUntil(work.catch(() => {})))
}

/** The owner of a cache key, the Durable Object named by the key: requests join its generation. */
function ownerOf(c: AppContext, key: string) {
  return c.env.GENERATIONS.get(c.env.GENERATIONS.idFromName(key))
}

/** The upstream and cache scope a result belongs to (see src/cache/cache-key.ts). */
function cacheContext(demo: boolean, baseUrl: string, principal: Principal): CacheContext {
  const ownCache = principal.kind === 'managed' && principal.record.cacheScope === 'key'
  return { upstream: demo ? 'demo' : baseUrl, scope: ownCache ? principal.record.id : null }
}

function fromCache(
  c: AppContext,
  request: NormalizedImageRequest,
  shape: AnswerShape,
  entry: Manifest,
  store: NearbyStore,
): Obtained {
  const counting = recordHit(c.env, c.get('principal'), request, entry.result.usage)
  if (counting) c.executionCtx.waitUntil(counting)
  const [first] = entry.images
  if (shape === 'redirect') {
    return first ? { kind: 'image', image: first, cache: 'HIT' } : fail({ kind: 'internal' })
  }
  const origin = new URL(c.req.url).origin
  const body = hitBody(shape, entry, store, origin, kindOf(request))
  return { kind: 'response', response: answerResponse(shape, body, { 'x-cache': 'HIT' }) }
}
