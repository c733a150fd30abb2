/**
 * GET /v1/images/embed?prompt=...&sig=...: an image a static site embeds with a plain URL. The
 * first visit generates it (once, however many arrive together); `&stream=1` watches it form.
 */
import { createRoute } from '@hono/zod-openapi'
import { embedCaller } from '../access/embed-caller'
import { authorize } from '../access/permissions'
import { requireTransforms } from '../cache/variants'
import { embedQuerySchema } from '../embed/embed-request'
import { answerEmbed } from '../gateway/embed'
import { normalize } from '../schema/image-request'
import { streamEventSchema } from '../schema/responses'
import { generationPayload } from '../upstream/payload'
import { gatewayContext } from './gateway-context'
import { errorResponses, KEY_ERRORS, NO_KEY, openApiRouter } from './openapi'
import { logRequests } from './request-log'

export const embed = openApiRouter()

const show = createRoute({
  method: 'get',
  path: '/embed',
  summary: 'An image for a web page',
  description:
    'Redirects to the stored image, generating it on the first visit. Needs `sig` (from `npm run sign` or POST /v1/images/embed/sign) or a publishable `key`, except on the demo generator. The image parameters are those of the generation request.',
  security: NO_KEY,
  middleware: [logRequests('embed'), embedCaller] as const,
  request: { query: embedQuerySchema },
  responses: {
    200: {
      description:
        'With `stream=1`: the partial images the URL asks for (`partial_images`), then a completed event with the original image URL (add `width` and `format` to it for a variant).',
      content: { 'text/event-stream': { schema: streamEventSchema } },
    },
    302: {
      description:
        'To the stored image (`Location`), or to its variant when `width` or `format` is given.',
    },
    ...errorResponses({
      ...KEY_ERRORS,
      400: 'Invalid parameter (named in `param`).',
      401: 'Unsigned.',
      403: 'Bad or expired signature, a secret key in the URL, a foreign origin, or no client address.',
      429: 'Too many visits from this client (signed URLs) or with this key; see Retry-After.',
    }),
  },
})

embed.openapi(show, async (c) => {
  const { request: input, watch, variant } = c.req.valid('query')
  const request = normalize(input)
  c.var.requestLog?.request(request)
  authorize(c.var.settings, c.get('principal'), request)
  // A variant this gateway cannot make is refused before anything is spent.
  if (variant.width !== undefined || variant.format !== undefined)
    requireTransforms(c.env.IMAGE_TRANSFORMS, variant.width !== undefined ? 'width' : 'format')
  const payload = generationPayload(input)
  const url = new URL(c.req.url)
  return answerEmbed(gatewayContext(c), { request, payload, watch, variant, url })
})
