/**
 * POST /v1/images/embed/sign: the operator signs an image's parameters with EMBED_SIGNING_SECRET,
 * so only URLs the operator made can spend money.
 */
import { createRoute } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import { requireCaller } from '../access/auth'
import { EMBED_FIELDS, signRequestSchema } from '../embed/embed-request'
import { signedEmbedUrl } from '../embed/signing'
import type { AppEnv } from '../env'
import { fail } from '../errors'
import { signResponseSchema } from '../schema/responses'
import { BODY_ERRORS, CLIENT_KEY, errorResponses, KEY_ERRORS, openApiRouter } from './openapi'
import { jsonBody } from './request-body'

export const embedSign = openApiRouter()

/**
 * Only the operator's own keys sign, and only with a secret to sign with. The demo generator is
 * no exception: a URL signed there keeps working, and spending, once a real upstream is set.
 */
const requireSigner = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('principal').kind !== 'operator') {
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

embedSign.openapi(sign, async (c) => {
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
