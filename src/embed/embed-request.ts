/**
 * Embed URLs as image requests: the query's parameters, validated by the same fields and rules as
 * the API (one image, answered by URL, the same upstream call however it is watched), the body
 * that signs one, and who may spend money through them.
 */

import { z } from 'zod'
import { EMBED_FIELDS } from '../../shared/embed-fields.js'
import { VARIANT_WIDTHS, type VariantQuery, variantFields } from '../cache/variants'
import { fail } from '../errors'
import type { Failure } from '../failure'
import type { Principal } from '../principal'
import { checkImageRules, type ImageRequest, imageFields } from '../schema/image-request'
import { wholeNumber } from '../schema/query-text'
import type { Settings } from '../settings'
import { verifyParams } from './signing'

export { EMBED_FIELDS }

/** The image fields an embed carries (EMBED_FIELDS), in the contract's order. */
const embedFields = {
  model: imageFields.model,
  prompt: imageFields.prompt,
  size: imageFields.size,
  quality: imageFields.quality,
  background: imageFields.background,
  moderation: imageFields.moderation,
  output_format: imageFields.output_format,
  output_compression: imageFields.output_compression,
  partial_images: imageFields.partial_images.meta({
    description:
      'Partial images the generation streams (0 to 3), signed like the rest: every visit calls the upstream the same way, whether it watches them (`stream=1`) or not.',
  }),
}

type EmbedFields = z.output<z.ZodObject<typeof embedFields>>

/**
 * The request an embed stands for: one image, answered by URL, streamed from the upstream only
 * when its (signed) fields ask for partial images. How a visitor watches (`stream=1`) never
 * changes it, so the upstream is called the same way for the same URL, and billed the same.
 */
function embedRequest(fields: EmbedFields): ImageRequest {
  return {
    ...fields,
    response_format: 'url',
    ...(fields.partial_images === undefined ? {} : { stream: true }),
  }
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
  .superRefine(({ expires_in: _exp, ...fields }, ctx) => checkImageRules(embedRequest(fields), ctx))

/**
 * An embed URL's request, how the visitor watches it (`sse`: partial images, or a redirect), and
 * the variant the redirect points at (`width`, `format`; both unset: the original).
 */
export interface EmbedQuery {
  request: ImageRequest
  watch: 'sse' | 'redirect'
  variant: VariantQuery
}

/** GET /v1/images/embed: the query of an embed URL, as the request it stands for. */
export const embedQuerySchema = z
  .strictObject({
    ...embedFields,
    output_compression: wholeNumber(embedFields.output_compression),
    partial_images: wholeNumber(embedFields.partial_images),
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
        '`1` answers server-sent events (the partial images the URL asks for, then the image URL) instead of a redirect. Not signed: it changes only how the answer is sent, never what is generated.',
    }),
    width: variantFields.width.meta({
      description: `The redirect points at a variant this wide (${VARIANT_WIDTHS.join(', ')}), made by the Images binding. Not signed: it spends nothing upstream.`,
    }),
    format: variantFields.format.meta({
      description:
        'The redirect points at a variant in this format (webp, avif, jpeg, png). Not signed, like `width`.',
    }),
  })
  .transform(
    ({ sig: _sig, exp: _exp, key: _key, stream, width, format, ...fields }, ctx): EmbedQuery => {
      const request = embedRequest(fields)
      checkImageRules(request, ctx)
      const watch = stream === '1' || stream === 'true' ? 'sse' : 'redirect'
      return { request, watch, variant: { width, format } }
    },
  )

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
