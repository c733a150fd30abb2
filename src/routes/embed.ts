/**
 * Images a static site can embed with a plain URL. GET /v1/images/embed?prompt=...&sig=... answers
 * with a redirect to the immutable stored image: the first visit generates (once, however many
 * visitors arrive together), later ones come from R2. `&stream=1` answers SSE instead (partial
 * images, then the image URL) for public/embed.js. POST /v1/images/embed/sign makes signed URLs.
 */

import { zValidator } from '@hono/zod-validator'
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { admitManagedKey, requireCaller } from '../access/auth'
import { KEY_PREFIXES } from '../access/keys'
import { authorize } from '../access/permissions'
import { authorizeEmbed, EMBED_FIELDS, embedRequest } from '../embed/embed-request'
import { signedEmbedUrl } from '../embed/signing'
import type { AppEnv, Principal } from '../env'
import { fail } from '../errors'
import { imageUrl } from '../result/result'
import { normalize } from '../schema/image-request'
import { rejectInvalid } from '../schema/validation-hook'
import { obtainAnswer } from './obtain'
import { jsonBody } from './request-body'

export const embed = new Hono<AppEnv>()

/** How long browsers may reuse the redirect: the URL-to-image mapping is stable. */
const REDIRECT_CACHE = 'public, max-age=3600'

/**
 * Who pays for an embed: a publishable key in the URL (`key=pk-gw-…`, checked against the page's
 * Origin or Referer, spending that key's balance), or the owner's signature.
 */
async function embedCaller(c: Context<AppEnv>, params: URLSearchParams): Promise<Principal> {
  const key = params.get('key')
  if (key === null)
    return authorizeEmbed(c.var.settings, params, c.req.header('cf-connecting-ip') ?? 'unknown')
  if (!key.startsWith(KEY_PREFIXES.publishable)) {
    fail({
      kind: 'forbidden',
      code: 'secret_key_in_url',
      param: 'key',
      message:
        'Only publishable keys (pk-gw-…) belong in a page; revoke a secret key that was put in a URL.',
    })
  }
  return (await admitManagedKey(c, key)).principal
}

embed.get('/embed', async (c) => {
  const params = new URL(c.req.url).searchParams
  const principal = await embedCaller(c, params)
  c.set('principal', principal)
  const input = embedRequest(params)
  const request = normalize(input)
  authorize(c.var.settings, principal, request)
  const shape = request.stream ? 'sse-url' : 'redirect'
  const obtained = await obtainAnswer(c, input, request, shape, false)
  if (obtained.kind === 'response') {
    // Pages on any origin may read the stream (EventSource); it holds nothing but public pixels.
    obtained.response.headers.set('access-control-allow-origin', '*')
    return obtained.response
  }
  return new Response(null, {
    status: 302,
    headers: {
      location: imageUrl(new URL(c.req.url).origin, obtained.image),
      'cache-control': REDIRECT_CACHE,
      'x-cache': obtained.cache,
    },
  })
})

const signSchema = z.strictObject({
  prompt: z.string(),
  model: z.string().optional(),
  size: z.string().optional(),
  quality: z.string().optional(),
  background: z.string().optional(),
  output_format: z.string().optional(),
  output_compression: z.int().optional(),
  moderation: z.string().optional(),
  /** Seconds until the URL stops working; unset: it never expires. */
  expires_in: z.int().min(1).optional(),
})

embed.post(
  '/embed/sign',
  requireCaller,
  ...jsonBody,
  zValidator('json', signSchema, rejectInvalid),
  async (c) => {
    if (c.get('principal').kind !== 'key' && !c.var.settings.demo) {
      fail({
        kind: 'forbidden',
        code: 'key_required',
        message: 'Signing embed URLs needs a client key.',
        param: null,
      })
    }
    const secret = c.var.settings.embedSigningSecret
    if (!secret)
      fail({
        kind: 'forbidden',
        code: 'embedding_not_configured',
        message: 'Set EMBED_SIGNING_SECRET to sign embed URLs.',
        param: null,
      })
    const { expires_in, ...fields } = c.req.valid('json')
    const params = new URLSearchParams()
    for (const name of EMBED_FIELDS)
      if (fields[name] !== undefined) params.set(name, String(fields[name]))
    const expiresAt = expires_in ? Math.floor(Date.now() / 1000) + expires_in : null
    if (expiresAt) params.set('exp', String(expiresAt))
    embedRequest(params) // the same validation a visitor's request will get
    const url = await signedEmbedUrl(new URL(c.req.url).origin, secret, params)
    return c.json({ url, expires_at: expiresAt })
  },
)
