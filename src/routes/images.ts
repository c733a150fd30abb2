/**
 * POST /v1/images/generations: authenticate, validate, authorize, then the gateway core answers
 * (from the cache, or the one generation for this picture).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { requireCaller } from '../access/auth'
import { authorize, mayRegenerate } from '../access/permissions'
import { shapeOf } from '../answer/shapes'
import { wantsFreshResult } from '../cache/freshness'
import { fail } from '../errors'
import { obtain } from '../gateway/obtain'
import { imageRequestSchema, normalize } from '../schema/image-request'
import { imagesResponseSchema, streamEventSchema } from '../schema/responses'
import { generationPayload } from '../upstream/payload'
import { gatewayContext } from './gateway-context'
import { BODY_ERRORS, CLIENT_KEY, errorResponses, KEY_ERRORS, openApiRouter } from './openapi'
import { jsonBody } from './request-body'
import { logRequests } from './request-log'

export const images = openApiRouter()

const generations = createRoute({
  method: 'post',
  path: '/generations',
  summary: 'Generate images',
  description:
    "OpenAI-compatible. Per-model rules (sizes, transparency) are described on the fields; a violation is a 400 naming the field. Answers carry `x-cache` (HIT, MISS or BYPASS) and, on misses, the upstream's `x-request-id`.",
  security: CLIENT_KEY,
  middleware: [logRequests('generation'), requireCaller, ...jsonBody] as const,
  request: {
    headers: z.object({
      'cache-control': z.string().optional().meta({
        description:
          "`no-cache` generates afresh (paid) and replaces the cached result: for the operator's GATEWAY_KEYS and secret keys with the `regenerate` permission; ignored for anyone else.",
      }),
    }),
    body: { required: true, content: { 'application/json': { schema: imageRequestSchema } } },
  },
  responses: {
    200: {
      description: 'The images: JSON, or server-sent events with `stream: true`.',
      content: {
        'application/json': { schema: imagesResponseSchema },
        'text/event-stream': { schema: streamEventSchema },
      },
    },
    ...errorResponses({
      ...KEY_ERRORS,
      ...BODY_ERRORS,
      400: "Invalid parameter (named in `param`), malformed JSON, or a content-policy block (the upstream's own code, e.g. `moderation_blocked`).",
      403: 'The key may not do this, or its balance is insufficient.',
      500: 'Upstream failure or internal error; `x-should-retry` tells whether retrying helps.',
    }),
  },
})

images.openapi(generations, async (c) => {
  const input = c.req.valid('json')
  const request = normalize(input)
  const principal = c.get('principal')
  c.var.requestLog?.request(request)
  authorize(c.var.settings, principal, request)
  const replace =
    mayRegenerate(principal) && wantsFreshResult(c.req.valid('header')['cache-control'])
  const payload = generationPayload(input)
  const ask = { request, payload, shape: shapeOf(request), replace }
  const obtained = await obtain(gatewayContext(c), ask)
  return obtained.kind === 'response' ? obtained.response : fail({ kind: 'internal' })
})
