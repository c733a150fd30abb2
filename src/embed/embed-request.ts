/**
 * Embed URLs as image requests: the query's parameters, validated by the same zod contract as
 * the API (one image, answered by URL), and who may spend money through them.
 */

import { EMBED_FIELDS } from '../../public/embed-fields.js'
import type { Principal } from '../env'
import { fail } from '../errors'
import type { Failure } from '../failure'
import { type ImageRequest, imageRequestSchema } from '../schema/image-request'
import { describeIssue } from '../schema/validation-hook'
import type { Settings } from '../settings'
import { verifyParams } from './signing'

export { EMBED_FIELDS }

const CONTROL = new Set(['sig', 'exp', 'stream', 'key'])
/** Partial images an embedded picture shows while it forms. */
const EMBED_PARTIAL_IMAGES = 2

/** The request an embed URL stands for; throws a 400 naming the bad parameter. */
export function embedRequest(params: URLSearchParams): ImageRequest {
  const body: Record<string, unknown> = {}
  for (const [name, value] of params) {
    if (CONTROL.has(name)) continue
    body[name] = name === 'output_compression' && /^\d+$/.test(value) ? Number(value) : value
  }
  const stream = ['1', 'true'].includes(params.get('stream') ?? '')
  const unknown = Object.keys(body).find(
    (name) => !(EMBED_FIELDS as readonly string[]).includes(name),
  )
  if (unknown)
    fail({
      kind: 'invalid_request',
      message: `Unknown parameter: '${unknown}'.`,
      param: unknown,
      code: 'unknown_parameter',
    })
  const candidate = {
    ...body,
    response_format: 'url',
    ...(stream ? { stream: true, partial_images: EMBED_PARTIAL_IMAGES } : {}),
  }
  const parsed = imageRequestSchema.safeParse(candidate)
  if (!parsed.success) {
    const [issue] = parsed.error.issues
    fail(
      issue
        ? describeIssue(issue, candidate)
        : {
            kind: 'invalid_request',
            message: 'Invalid embed URL.',
            param: null,
            code: 'invalid_value',
          },
    )
  }
  return parsed.data
}

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
