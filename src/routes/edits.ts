/**
 * POST /v1/images/edits: authenticate, read the body (pictures streamed into R2), authorize, obtain
 * (cache or the one generation, as for generations). Its body is documented as JSON Schema made
 * from the zod schemas, not given to a validator, which would read it whole.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { requireCaller } from '../access/auth'
import { authorize, mayFetchUrls, mayRegenerate } from '../access/permissions'
import { shapeOf } from '../answer/shapes'
import { wantsFreshResult } from '../cache/freshness'
import { InputStore } from '../cache/inputs'
import { fail } from '../errors'
import { obtain } from '../gateway/obtain'
import { readEditBody } from '../inputs/edit-body'
import { editFormSchema, editJsonSchema, MAX_INPUT_IMAGES } from '../schema/edit-request'
import { editStreamEventSchema, imagesResponseSchema } from '../schema/responses'
import { gatewayContext } from './gateway-context'
import { CLIENT_KEY, errorResponses, KEY_ERRORS, openApiRouter, SLOW_BODY } from './openapi'
import { logRequests } from './request-log'

export const edits = openApiRouter()

/** A zod schema as plain JSON Schema (documentation only: no validator is attached). */
function documented(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any' })
  return rest
}

const FILE = { type: 'string', format: 'binary' } as const
const formFields = documented(editFormSchema) as { properties: object; required?: string[] }

/** The multipart form: the pictures as files, then the text fields of the zod schema. */
const MULTIPART_BODY = {
  ...formFields,
  properties: {
    image: {
      ...FILE,
      description:
        'The picture to edit: png, webp or jpg under 50 MB (its bytes decide, not its name or declared type). Or several as image[].',
    },
    'image[]': {
      type: 'array' as const,
      items: FILE,
      maxItems: MAX_INPUT_IMAGES,
      description: `Up to ${MAX_INPUT_IMAGES} pictures to edit together, each like image.`,
    },
    mask: {
      ...FILE,
      description:
        'A png with alpha, under 4 MB, the size of the first picture: its fully transparent pixels mark where to edit.',
    },
    ...formFields.properties,
  },
}

const route = createRoute({
  method: 'post',
  path: '/edits',
  summary: 'Edit images',
  description:
    'OpenAI-compatible: `client.images.edit(...)` works unchanged. Pictures come as multipart files, or in the JSON form as `images: [{image_url}]` (https or data: URLs). They are hashed as they stream in: the same pictures, prompt and options are one cached result (`x-cache`), made once however many ask. Streams `image_edit.partial_image` then `image_edit.completed` events with `stream: true`.',
  security: CLIENT_KEY,
  middleware: [logRequests('edit'), requireCaller] as const,
  request: {
    headers: z.object({
      'cache-control': z.string().optional().meta({
        description:
          "`no-cache` edits afresh (paid) and replaces the cached result: for the operator's GATEWAY_KEYS and secret keys with the `regenerate` permission; ignored for anyone else.",
      }),
    }),
    body: {
      required: true,
      content: {
        'multipart/form-data': { schema: MULTIPART_BODY },
        'application/json': { schema: documented(editJsonSchema) },
      },
    },
  },
  responses: {
    200: {
      description: 'The edited images: JSON, or server-sent events with `stream: true`.',
      content: {
        'application/json': { schema: imagesResponseSchema },
        'text/event-stream': { schema: editStreamEventSchema },
      },
    },
    ...errorResponses({
      ...KEY_ERRORS,
      400: 'An invalid field or picture (named in `param`: wrong type by its bytes, too many, too large, a mask without alpha or of another size; an image_url not https on a public host name, or that could not be fetched), a malformed body, or a content-policy block.',
      403: 'The key may not do this (pictures by https URL need a secret key unless the operator lists hosts), or its balance is insufficient.',
      ...SLOW_BODY,
      415: 'The body is neither multipart/form-data nor JSON.',
      500: 'Upstream failure or internal error; `x-should-retry` tells whether retrying helps.',
    }),
  },
})

edits.openapi(route, async (c) => {
  const settings = c.var.settings
  const store = new InputStore(c.env.IMAGES)
  const principal = c.get('principal')
  const hosts = settings.editImageUrlHosts
  const { request, payload } = await readEditBody(c.req.raw, store, {
    urls: {
      policy: { hosts, ownHost: new URL(c.req.url).hostname },
      callerMayFetch: hosts !== null || mayFetchUrls(principal),
    },
    bodyTimeoutMs: settings.requestBodyTimeoutMs,
    admit: (request) => {
      c.var.requestLog?.request(request)
      authorize(settings, principal, request)
    },
  })
  const replace = mayRegenerate(principal) && wantsFreshResult(c.req.header('cache-control'))
  const obtained = await obtain(gatewayContext(c), {
    request,
    payload,
    shape: shapeOf(request),
    replace,
  })
  return obtained.kind === 'response' ? obtained.response : fail({ kind: 'internal' })
})
