/**
 * POST /v1/images/generations: authenticate, validate, authorize, look up the cache, join the
 * one generation for this picture, answer. Reads top to bottom like the request's way through
 * the gateway (DESIGN.md).
 */
import { zValidator } from '@hono/zod-validator'
import { Hono } from 'hono'
import { requireCaller } from '../access/auth'
import { authorize } from '../access/permissions'
import { cacheKey } from '../cache/cache-key'
import { replayEntry } from '../cache/replay'
import { cacheTtlSeconds, resultStore, wantsFreshResult } from '../cache/settings'
import type { Manifest, ResultStore } from '../cache/store'
import type { AppContext, AppEnv } from '../env'
import { fail } from '../errors'
import { joinGeneration } from '../generation/join'
import { imageRequestSchema, type NormalizedImageRequest, normalize, upstreamBody } from '../schema/image-request'
import { rejectInvalid } from '../schema/validation-hook'
import { assertUpstreamSupports, resolveUpstream } from '../upstream/target'
import { answer } from './answer'
import { jsonBody } from './request-body'

export const images = new Hono<AppEnv>()

images.post(
  '/generations',
  requireCaller,
  ...jsonBody,
  zValidator('json', imageRequestSchema, rejectInvalid),
  async (c) => {
    const input = c.req.valid('json')
    const request = normalize(input)
    authorize(c.env, c.get('principal'), request)
    const upstream = resolveUpstream(c.env)
    assertUpstreamSupports(upstream, request)

    const store = resultStore(c.env)
    const key = await cacheKey(request)
    const replace = wantsFreshResult(c.req.header('cache-control'))
    const entry = replace ? null : await store.lookup(key)
    if (entry) return answerFromCache(c, request, entry, store)

    const wantsUrls = request.response_format === 'url'
    const ttlSeconds = cacheTtlSeconds(c.env)
    const join = { key, request, upstreamBody: upstreamBody(input), upstream, replace, wantsUrls, ttlSeconds }
    const joined = await joinGeneration(c.env, join, store, !wantsUrls)
    if (joined.kind === 'cached') {
      const committed = await store.lookup(key)
      return committed ? answerFromCache(c, request, committed, store) : fail({ kind: 'internal' })
    }
    const cache = replace ? 'BYPASS' : 'MISS'
    return answer(c, request, joined.events, { cache, upstreamHeaders: joined.upstreamHeaders })
  },
)

function answerFromCache(c: AppContext, request: NormalizedImageRequest, entry: Manifest, store: ResultStore) {
  const events = replayEntry(entry, store, request.response_format === 'b64_json')
  return answer(c, request, events, { cache: 'HIT', meta: entry.result })
}
