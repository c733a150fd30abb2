/**
 * Embed URLs as image requests: the query's parameters, validated by the same fields and rules as
 * the API (one image, answered by URL), the body that signs one, and who may spend money
 * through them.
 */

import { z } from 'zod'
import { EMBED_FIELDS } from '../../public/embed-fields.js'
import type { Principal } from '../env'
import { fail } from '../errors'
import type { Failure } from '../failure'
import { checkImageRules, type ImageRequest, imageFields } from '../schema/image-request'
import type { Settings } from '../settings'
import { verifyParams } from './signing'

export { EMBED_FIELDS }

/** Partial images an embedded picture shows while it forms. */
const EMBED_PARTIAL_IMAGES = 2

const { model, prompt, size, quality, background, moderation, output_format, output_compression } =
  imageFields

/** The image fields an embed carries (EMBED_FIELDS), in the contract's order. */
const embedFields = {
  model,
  prompt,
  size,
  quality,
  background,
  moderation,
  output_format,
  output_compression,
}

/** POST /v1/images/embed/sign: the picture's fields, checked by the API's own rules. */
export const signRequestSchema = z
  .strictObject({
    ...embedFields,
    expires_in: z
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Seconds until the URL stops working; unset: it never expires.' }),
  })
  .superRefine(checkImageRules)

/**
 * GET /v1/images/embed: the query of an embed URL, as the request it stands for (one image,
 * answered by URL; with `stream` also partial images). Query values are text, so
 * `output_compression` is read as a number first.
 */
export const embedQuerySchema = z
  .strictObject({
    ...embedFields,
    output_compression: z.preprocess(
      (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
      output_compression,
    ),
    sig: z.string().optional().meta({
      description: 'HMAC-SHA256 signature of the other parameters (`npm run sign`).',
    }),
    exp: z
      .string()
      .optional()
      .meta({ description: 'Unix time after which the URL stops working (signed).' }),
    key: z
      .string()
      .optional()
      .meta({ description: 'A publishable key bound to the page’s origin.' }),
    stream: z.string().optional().meta({
      description:
        '`1` answers server-sent events (partial images, then the image URL) instead of a redirect.',
    }),
  })
  .transform(({ sig: _sig, exp: _exp, key: _key, stream, ...fields }, ctx): ImageRequest => {
    const streamed = stream === '1' || stream === 'true'
    const request: ImageRequest = {
      ...fields,
      response_format: 'url',
      ...(streamed ? { stream: true, partial_images: EMBED_PARTIAL_IMAGES } : {}),
    }
    checkImageRules(request, ctx)
    return request
  })

const forbidden = (code: string, message: string): Failure => ({
  kind: 'forbidden',
  code,
  message,
  param: null,
})

/**
 * May this embed URL spend money? Signed by EMBED_SIGNING_SECRET and not expired; unsigned only
 * on the demo generator with no secret set, where nothing is spent. Publishable keys bound to
 * origins slot in here as a second way in.
 */
export async function authorizeEmbed(
  settings: Settings,
  params: URLSearchParams,
  ip: string,
): Promise<Principal> {
  const secret = settings.embedSigningSecret
  const sig = params.get('sig')
  if (!sig) {
    if (!secret && settings.demo) return { kind: 'anonymous', ip }
    fail({ kind: 'missing_signature' })
  }
  if (!secret)
    fail(
      forbidden(
        'embedding_not_configured',
        'Signed embeds are not configured: the operator must set EMBED_SIGNING_SECRET.',
      ),
    )
  if (!(await verifyParams(secret, params, sig))) {
    fail(
      forbidden(
        'invalid_signature',
        'The embed URL signature does not match its parameters. Sign the URL again after changing it.',
      ),
    )
  }
  const exp = params.get('exp')
  if (exp !== null && !(Number(exp) * 1000 > Date.now())) {
    fail(forbidden('signature_expired', 'This embed URL has expired. Sign a new one.'))
  }
  return { kind: 'signed' }
}
