/**
 * POST /v1/images/generations: authenticate, validate, authorize, look up the cache, generate,
 * store, answer. Reads top to bottom like the request's way through the gateway (DESIGN.md).
 */
import { zValidator } from '@hono/zod-validator'
import { Hono } from 'hono'
import { requireCaller } from '../access/auth'
import { authorize } from '../access/permissions'
import { cacheKey } from '../cache/cache-key'
import { replayEntry } from '../cache/replay'
import { resultStore, wantsFreshResult } from '../cache/settings'
import type { AppEnv } from '../env'
import { generateAndStore } from '../generation/generate'
import { imageRequestSchema, normalize, upstreamBody } from '../schema/image-request'
import { rejectInvalid } from '../schema/validation-hook'
import { callUpstream } from '../upstream/client'
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
    const target = resolveUpstream(c.env)
    assertUpstreamSupports(target, request)

    const store = resultStore(c.env)
    const key = await cacheKey(request)
    const bypass = wantsFreshResult(c.req.header('cache-control'))
    const withBase64 = request.response_format === 'b64_json'
    const entry = bypass ? null : await store.lookup(key)
    if (entry) {
      return answer(c, request, replayEntry(entry, store, withBase64), {
        cache: 'HIT',
        meta: entry.result,
      })
    }

    // The client's abort signal is deliberately not passed on: a paid-for generation finishes
    // and is stored even if its client leaves (bounded by the platform's waitUntil limit).
    const upstream = await callUpstream(target, { body: upstreamBody(input) })
    const upstreamHeaders: Record<string, string> = { 'x-upstream': target.kind }
    const upstreamId = upstream.headers.get('x-request-id')
    if (upstreamId) upstreamHeaders['x-request-id'] = upstreamId
    const events = generateAndStore(upstream, {
      request,
      key,
      store,
      replace: bypass,
      keepImagesOnFailure: !withBase64,
    })
    return answer(c, request, events, { cache: bypass ? 'BYPASS' : 'MISS', upstreamHeaders })
  },
)
