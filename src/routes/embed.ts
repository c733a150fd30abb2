/**
 * Images a static site can embed with a plain URL. GET /v1/images/embed?prompt=...&sig=... answers
 * with a redirect to the immutable stored image (or its `width`/`format` variant): the first visit
 * generates (once, however many visitors arrive together), later ones find its manifest in this
 * data centre's edge cache (src/cache/nearby.ts) after one R2 read. `&stream=1` answers SSE instead (the partial
 * images the URL asks for, then the image URL) for public/embed.js; it changes how the answer is
 * sent, never the upstream call. A failure to make the picture is remembered for a minute
 * (src/embed/failure-memory.ts). POST /v1/images/embed/sign makes signed URLs.
 */
import { createRoute } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { endTime, startTime } from 'hono/timing'
import { admitClient, admitManagedKey, clientOf, requireCaller } from '../access/auth'
import { authorize } from '../access/permissions'
import { requireTransforms, variantQuery } from '../cache/variants'
import {
  authorizeEmbed,
  EMBED_FIELDS,
  embedQuerySchema,
  signRequestSchema,
} from '../embed/embed-request'
import { FailureMemory } from '../embed/failure-memory'
import { signedEmbedUrl } from '../embed/signing'
import type { AppEnv } from '../env'
import { fail, GatewayError } from '../errors'
import { KEY_PREFIXES } from '../principal'
import { imageUrl } from '../result/result'
import { normalize } from '../schema/image-request'
import { signResponseSchema, streamEventSchema } from '../schema/responses'
import { afterPipe } from '../stream/after-pipe'
import { obtainAnswer } from './obtain'
import {
  BODY_ERRORS,
  CLIENT_KEY,
  errorResponses,
  KEY_ERRORS,
  NO_KEY,
  openApiRouter,
} from './openapi'
import { jsonBody } from './request-body'

export const embed = openApiRouter()

/** How long browsers may reuse the redirect: the URL-to-image mapping is stable. */
const REDIRECT_CACHE = 'public, max-age=3600'

/**
 * Who pays for an embed, decided before its parameters are read: a publishable key in the URL
 * (`key=pk-gw-…`, checked against the page's Origin or Referer, spending that key's balance), or
 * the owner's signature over the raw query. Signed visits are then limited per client (an IPv6
 * client by its /64); a URL refused before that (unsigned, forged, expired) writes nothing.
 */
const embedCaller = createMiddleware<AppEnv>(async (c, next) => {
  startTime(c, 'auth', 'Who pays (signature or key, origin, limits)')
  await admitEmbed(c)
  endTime(c, 'auth')
  await next()
})

async function admitEmbed(c: Context<AppEnv>): Promise<void> {
  const params = new URL(c.req.url).searchParams
  const key = params.get('key')
  if (key === null) {
    const settings = c.var.settings
    const principal = await authorizeEmbed(settings, params, clientOf(c) ?? 'unknown')
    if (principal.kind === 'signed') await admitClient(c, 'embed', settings.embedRateLimitPerMinute)
    c.set('principal', principal)
  } else if (!key.startsWith(KEY_PREFIXES.publishable)) {
    fail({
      kind: 'forbidden',
      code: 'secret_key_in_url',
      param: 'key',
      message:
        'Only publishable keys (pk-gw-…) belong in a page; revoke a secret key that was put in a URL.',
    })
  } else c.set('principal', (await admitManagedKey(c, key)).principal)
}

const show = createRoute({
  method: 'get',
  path: '/embed',
  summary: 'An image for a web page',
  description:
    'Redirects to the stored image, generating it on the first visit. Needs `sig` (from `npm run sign` or POST /v1/images/embed/sign) or a publishable `key`, except on the demo generator. The image parameters are those of the generation request.',
  security: NO_KEY,
  middleware: [embedCaller] as const,
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
  const { request: input, watch, view } = c.req.valid('query')
  const principal = c.get('principal')
  const request = normalize(input)
  authorize(c.var.settings, principal, request)
  // A variant this gateway cannot make is refused before anything is spent.
  if (view.width !== undefined || view.format !== undefined)
    requireTransforms(c.env.IMAGE_TRANSFORMS, view.width !== undefined ? 'width' : 'format')
  const shape = watch === 'sse' ? 'sse-url' : 'redirect'
  // A failure to make this picture is answered again for a while, without the upstream.
  const memory = await FailureMemory.of(new URL(c.req.url))
  const remembered = await memory.recall()
  if (remembered) return remembered
  const remember = (work: Promise<unknown>) => c.executionCtx.waitUntil(work)
  const obtained = await obtainAnswer(c, input, request, shape, false).catch((error: unknown) => {
    if (error instanceof GatewayError) remember(memory.rememberFailure(error.failure))
    throw error
  })
  if (obtained.kind === 'response') {
    const { response, failure } = obtained
    // Once a stream from a generation has ended, its owner tells whether it ended with an error
    // (the bytes pass through untouched, so the worker never reads them). Hits cannot fail.
    const learn = async () => {
      const ended = await failure?.()
      if (ended) await memory.rememberFailure(ended)
    }
    const body =
      failure && response.body ? afterPipe(response.body, remember, learn) : response.body
    const watched = new Response(body, response)
    // Pages on any origin may read the stream (EventSource); it holds nothing but public pixels.
    watched.headers.set('access-control-allow-origin', '*')
    return watched
  }
  return new Response(null, {
    status: 302,
    headers: {
      location: imageUrl(new URL(c.req.url).origin, obtained.image) + variantQuery(view),
      'cache-control': REDIRECT_CACHE,
      'x-cache': obtained.cache,
    },
  })
})

/**
 * Only the operator's own keys sign, and only with a secret to sign with. The demo generator is
 * no exception: a URL signed there keeps working, and spending, once a real upstream is set.
 */
const requireSigner = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('principal').kind !== 'key') {
    fail({
      kind: 'forbidden',
      code: 'key_required',
      message: 'Signing embed URLs needs a client key.',
      param: null,
    })
  }
  if (!c.var.settings.embedSigningSecret)
    fail({
      kind: 'forbidden',
      code: 'embedding_not_configured',
      message: 'Set EMBED_SIGNING_SECRET to sign embed URLs.',
      param: null,
    })
  await next()
})

const sign = createRoute({
  method: 'post',
  path: '/embed/sign',
  summary: 'Sign an embed URL',
  description:
    'Signs the picture’s parameters with EMBED_SIGNING_SECRET; the URL works as `<img src>` or `<gpt-image src>`. Needs a GATEWAY_KEYS key, on the demo generator too (a signed URL outlives the demo).',
  security: CLIENT_KEY,
  middleware: [requireCaller, ...jsonBody, requireSigner] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: signRequestSchema } } },
  },
  responses: {
    200: {
      description: 'The signed URL.',
      content: { 'application/json': { schema: signResponseSchema } },
    },
    ...errorResponses({
      ...KEY_ERRORS,
      ...BODY_ERRORS,
      403: 'Not a GATEWAY_KEYS key, or signing is not configured.',
    }),
  },
})

embed.openapi(sign, async (c) => {
  const secret = c.var.settings.embedSigningSecret ?? fail({ kind: 'internal' })
  const { expires_in, ...fields } = c.req.valid('json')
  const params = new URLSearchParams()
  for (const name of EMBED_FIELDS)
    if (fields[name] !== undefined) params.set(name, String(fields[name]))
  const expiresAt = expires_in ? Math.floor(Date.now() / 1000) + expires_in : null
  if (expiresAt) params.set('exp', String(expiresAt))
  const url = await signedEmbedUrl(new URL(c.req.url).origin, secret, params)
  return c.json({ url, expires_at: expiresAt }, 200)
})
