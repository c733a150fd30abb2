/**
 * A stored image, or a variant of it, as an immutable answer: from this data centre's cache, else
 * from R2 (made first, for a variant), with ETag revalidation and Range requests answered by R2.
 */
import { matchEdge, putEdge } from '../cache/edge-cache'
import { IMMUTABLE, imageResponse, NearbyStore, TEE_BYTES } from '../cache/nearby'
import { imagePath, ResultStore } from '../cache/store'
import {
  requireTransforms,
  type VariantSpec,
  variantObjectPath,
  variantPath,
} from '../cache/variants'
import { fail } from '../errors'
import type { ImageExt } from '../result/result'
import type { GatewayContext } from './context'

/** What serving a file needs: no caller (images are public), no settings. */
export type FileContext = Pick<GatewayContext, 'env' | 'waitUntil' | 'timing'>

/** R2's refusal of an unsatisfiable Range (its error 10039, InvalidRange). */
function isRangeError(error: unknown): boolean {
  return error instanceof Error && /\b10039\b|range/i.test(error.message)
}

/** Image `id`.`ext` (or its variant `spec`) as the answer to `request`. */
export async function serveImageFile(
  ctx: FileContext,
  request: Request,
  { id, ext }: { id: string; ext: ImageExt },
  spec: VariantSpec | null,
): Promise<Response> {
  const path = spec ? variantPath(id, spec) : imagePath(id, ext)
  ctx.timing.start('edge', 'This data centre cache')
  const cached = await matchEdge(path, request)
  ctx.timing.end('edge')
  // A cached answer's headers are immutable; middleware still adds its own (Server-Timing).
  if (cached) return new Response(cached.body, cached)
  const stored = spec ? await makeVariant(ctx, { id, ext }, spec) : path
  if (!stored) fail({ kind: 'not_found', message: `No image ${id}.${ext}.` })
  // A variant that is another object (the original, or the full width) is kept here as asked.
  return serveStored(ctx, request, stored, `${id}.${ext}`, path)
}

/** Where the variant is in R2, made first if need be; null when the original does not exist. */
async function makeVariant(
  ctx: FileContext,
  original: { id: string; ext: ImageExt },
  spec: VariantSpec,
): Promise<string | null> {
  const transforms = requireTransforms(ctx.env.IMAGE_TRANSFORMS, spec.width ? 'width' : 'format')
  ctx.timing.start('variant', 'Making the variant (first request only)')
  const path = await variantObjectPath(ctx.env.IMAGES, transforms, original, spec)
  ctx.timing.end('variant')
  return path
}

/**
 * Serves an R2 object as an immutable image (Range, If-None-Match), and keeps it in this data
 * centre's cache as `cacheAs` (the path asked for).
 */
async function serveStored(
  ctx: FileContext,
  request: Request,
  path: string,
  name: string,
  cacheAs = path,
): Promise<Response> {
  const bucket = ctx.env.IMAGES
  const nearby = new NearbyStore(new ResultStore(bucket, null), (work) =>
    ctx.waitUntil(work.catch(() => {})),
  )
  const asked = request.headers
  let object: R2Object | R2ObjectBody | null
  ctx.timing.start('r2', 'R2')
  try {
    object = await bucket.get(path, { range: asked, onlyIf: asked })
  } catch (error) {
    if (!asked.has('range') || !isRangeError(error)) throw error
    // R2 refuses ranges it cannot satisfy: 416 with the image's length (RFC 9110 §15.5.17).
    const head = await bucket.head(path)
    if (!head) fail({ kind: 'not_found', message: `No image ${name}.` })
    return new Response(null, { status: 416, headers: { 'content-range': `bytes */${head.size}` } })
  } finally {
    ctx.timing.end('r2')
  }
  if (!object) fail({ kind: 'not_found', message: `No image ${name}.` })
  const headers = new Headers({
    etag: object.httpEtag,
    'cache-control': IMMUTABLE,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
  })
  object.writeHttpMetadata(headers)
  if (!('body' in object)) {
    nearby.fillLater(path, cacheAs)
    return new Response(null, { status: 304, headers })
  }
  const range = object.range as { offset: number; length?: number } | undefined
  if (range && asked.has('range')) {
    nearby.fillLater(path, cacheAs)
    const length = range.length ?? object.size - range.offset
    headers.set(
      'content-range',
      `bytes ${range.offset}-${range.offset + length - 1}/${object.size}`,
    )
    headers.set('content-length', String(length))
    return new Response(object.body, { status: 206, headers })
  }
  headers.set('content-length', String(object.size))
  if (object.size > TEE_BYTES) {
    nearby.fillLater(path, cacheAs)
    return new Response(object.body, { headers })
  }
  // The first view here: the answer and this data centre's cache share the one R2 read.
  const [answer, kept] = object.body.tee()
  ctx.waitUntil(putEdge(cacheAs, imageResponse(object, kept)).catch(() => {}))
  return new Response(answer, { headers })
}
