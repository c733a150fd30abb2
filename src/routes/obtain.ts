/**
 * Gets a result for a validated request: from the cache, or by joining the one generation for
 * its key. Shared by the API route and the embed route, so both pay at most once per picture.
 */
import { type BillingRef, refund, reserveFor } from '../access/billing'
import { ledger } from '../access/keys'
import { costOf } from '../access/pricing'
import { cacheKey } from '../cache/cache-key'
import { replayEntry } from '../cache/replay'
import { cacheTtlSeconds, resultStore } from '../cache/settings'
import type { Manifest, ResultStore } from '../cache/store'
import type { AppContext } from '../env'
import { fail } from '../errors'
import type { GenerationEvent } from '../generation/events'
import { joinGeneration } from '../generation/join'
import {
  type ImageRequest,
  type NormalizedImageRequest,
  upstreamBody,
} from '../schema/image-request'
import { assertUpstreamSupports, resolveUpstream } from '../upstream/target'
import type { AnswerOptions } from './answer'

export interface Obtained extends AnswerOptions {
  events: AsyncGenerator<GenerationEvent>
}

/** The events of this request's result; `replace` skips the cache and replaces the entry. */
export async function obtainResult(
  c: AppContext,
  input: ImageRequest,
  request: NormalizedImageRequest,
  replace: boolean,
): Promise<Obtained> {
  const upstream = resolveUpstream(c.env)
  assertUpstreamSupports(upstream, request)
  const store = resultStore(c.env)
  const key = await cacheKey(request)
  const entry = replace ? null : await store.lookup(key)
  if (entry) return fromCache(c, request, entry, store)

  const principal = c.get('principal')
  const billing = await reserveFor(c.env, principal, request, upstream.kind === 'demo')

  const wantsUrls = request.response_format === 'url'
  const join = {
    key,
    request,
    upstreamBody: upstreamBody(input),
    upstream,
    replace,
    wantsUrls,
    ttlSeconds: cacheTtlSeconds(c.env),
    billing,
  }
  const joined = await joinGeneration(c.env, join, store, !wantsUrls).catch(
    async (error: unknown) => {
      if (billing) await refundQuietly(c, billing)
      throw error
    },
  )
  if (joined.kind === 'cached') {
    const committed = await store.lookup(key)
    return committed ? fromCache(c, request, committed, store) : fail({ kind: 'internal' })
  }
  return {
    events: joined.events,
    cache: replace ? 'BYPASS' : 'MISS',
    upstreamHeaders: joined.upstreamHeaders,
  }
}

/** Refunds are idempotent: the owner may already have refunded the same reservation. */
async function refundQuietly(c: AppContext, billing: BillingRef) {
  await refund(c.env, billing).catch(() => {})
}

function fromCache(
  c: AppContext,
  request: NormalizedImageRequest,
  entry: Manifest,
  store: ResultStore,
): Obtained {
  const principal = c.get('principal')
  if (principal.kind === 'managed') {
    c.executionCtx.waitUntil(
      ledger(c.env, principal.ledger).recordHit(costOf(request.model, entry.result.usage)),
    )
  }
  const events = replayEntry(entry, store, request.response_format === 'b64_json')
  return { events, cache: 'HIT', meta: entry.result }
}
