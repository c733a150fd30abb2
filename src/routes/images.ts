/**
 * POST /v1/images/generations: authenticate, validate, authorize, forward, answer. Reads top to
 * bottom like the request's way through the gateway (DESIGN.md).
 */
import { zValidator } from '@hono/zod-validator'
import { Hono } from 'hono'
import { requireCaller } from '../access/auth'
import { authorize } from '../access/permissions'
import type { AppEnv } from '../env'
import { imageRequestSchema, normalize, upstreamBody } from '../schema/image-request'
import { rejectInvalid } from '../schema/validation-hook'
import { callUpstream } from '../upstream/client'
import { assertUpstreamSupports, resolveUpstream } from '../upstream/target'
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
    const upstream = await callUpstream(target, {
      body: upstreamBody(input),
      signal: c.req.raw.signal,
    })
    const headers = new Headers({
      'content-type':
        upstream.headers.get('content-type') ??
        (request.stream ? 'text/event-stream' : 'application/json'),
      'x-upstream': target.kind,
    })
    const upstreamId = upstream.headers.get('x-request-id')
    if (upstreamId) headers.set('x-request-id', upstreamId)
    if (request.stream) headers.set('cache-control', 'no-cache, no-transform')
    return new Response(upstream.body, { status: 200, headers })
  },
)
