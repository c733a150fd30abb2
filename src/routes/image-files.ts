/**
 * GET /v1/images/{id}.{ext}: stored images by URL, for `<img src>` and small JSON answers.
 * Immutable and public (ids are 128 random bits), with ETag revalidation and Range requests
 * answered by R2 itself; served from this data centre's edge cache after its first view here.
 * `?width=&format=` serves a variant made by the Images binding (src/cache/variants.ts).
 */
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { endTime, startTime } from 'hono/timing'
import { matchEdge, putEdge } from '../cache/edge-cache'
import { IMMUTABLE, imageResponse, NearbyStore, TEE_BYTES } from '../cache/nearby'
import { imagePath, ResultStore } from '../cache/store'
import {
  requireTransforms,
  VARIANT_FORMATS,
  type VariantSpec,
  variantFields,
  variantObjectPath,
  variantPath,
  variantSpec,
} from '../cache/variants'
import type { AppEnv } from '../env'
import { fail } from '../errors'
import { IMAGE_TYPES, type ImageExt } from '../result/result'
import { rejectInvalid } from '../schema/validation-hook'
import { errorResponses, NO_KEY, openApiRouter } from './openapi'

export const imageFiles = openApiRouter()

const FILE = /^[0-9a-f]{32}\.(?:png|jpeg|webp)$/

/** R2's refusal of an unsatisfiable Range (its error 10039, InvalidRange). */
function isRangeError(error: unknown): boolean {
  return error instanceof Error && /\b10039\b|range/i.test(error.message)
}

const binary = z.string().meta({ format: 'binary' })

const file = createRoute({
  method: 'get',
  path: '/{file}',
  summary: 'A stored image, or a variant of it',
  description:
    'Immutable (`Cache-Control: public, max-age=31536000, immutable`), with `ETag` revalidation and Range requests, served from the edge cache after its first view in a data centre. `width` and `format` ask for a variant made by the Images binding (400 when the deployment has none).',
  security: NO_KEY,
  request: {
    params: z.object({
      file: z.string().regex(FILE).meta({
        description: '`{id}.{ext}`: the 32 hex digits of an image URL, then png, jpeg or webp.',
        example: '9f86d081884c7d659a2feaa0c55ad015.png',
      }),
    }),
    query: z.object(variantFields),
    headers: z.object({
      range: z.string().optional().meta({ description: 'One byte range (RFC 9110).' }),
      'if-none-match': z.string().optional().meta({ description: 'An ETag from before.' }),
    }),
  },
  responses: {
    200: {
      description: 'The image.',
      content: Object.fromEntries(
        [...new Set([...Object.values(IMAGE_TYPES), ...Object.values(VARIANT_FORMATS)])].map(
          (type) => [type, { schema: binary }],
        ),
      ),
    },
    206: { description: 'The requested byte range (`Content-Range`).' },
    304: { description: 'Not modified (If-None-Match).' },
    ...errorResponses({ 400: 'A width or format that is not offered.', 404: 'No such image.' }),
    416: { description: 'A range the image cannot satisfy (`Content-Range: bytes */{length}`).' },
  },
})

imageFiles.openapi(
  file,
  async (c) => {
    const [id, ext] = c.req.valid('param').file.split('.') as [string, ImageExt]
    const spec = variantSpec(c.req.valid('query'), ext)
    const path = spec ? variantPath(id, spec) : imagePath(id, ext)
    startTime(c, 'edge', 'This data centre cache')
    const cached = await matchEdge(path, c.req.raw)
    endTime(c, 'edge')
    // A cached answer's headers are immutable; middleware still adds its own (Server-Timing).
    if (cached) return new Response(cached.body, cached)
    const stored = spec ? await makeVariant(c, { id, ext }, spec) : path
    if (!stored) fail({ kind: 'not_found', message: `No image ${id}.${ext}.` })
    // A variant that is another object (the original, or the full width) is kept here as asked.
    return serveStored(c, stored, `${id}.${ext}`, path)
  },
  // Anything that is not a stored image's name is an unknown image, as before this route existed;
  // a width or format that is not offered is a 400 naming it.
  (result, c) => {
    if (result.success) return
    if (result.target === 'query') rejectInvalid(result)
    fail({ kind: 'not_found', message: `No image ${c.req.param('file')}.` })
  },
)

/** Where the variant is in R2, made first if need be; null when the original does not exist. */
async function makeVariant(
  c: Context<AppEnv>,
  original: { id: string; ext: ImageExt },
  spec: VariantSpec,
): Promise<string | null> {
  const transforms = requireTransforms(c.env.IMAGE_TRANSFORMS, spec.width ? 'width' : 'format')
  startTime(c, 'variant', 'Making the variant (first request only)')
  const path = await variantObjectPath(c.env.IMAGES, transforms, original, spec)
  endTime(c, 'variant')
  return path
}

/**
 * Serves an R2 object as an immutable image (Range, If-None-Match), and keeps it in this data
 * centre's cache as `cacheAs` (the path asked for).
 */
async function serveStored(
  c: Context<AppEnv>,
  path: string,
  name: string,
  cacheAs = path,
): Promise<Response> {
  const bucket = c.env.IMAGES
  const nearby = new NearbyStore(new ResultStore(bucket, null), (work) =>
    c.executionCtx.waitUntil(work.catch(() => {})),
  )
  let object: R2Object | R2ObjectBody | null
  startTime(c, 'r2', 'R2')
  try {
    object = await bucket.get(path, { range: c.req.raw.headers, onlyIf: c.req.raw.headers })
  } catch (error) {
    if (!c.req.header('range') || !isRangeError(error)) throw error
    // R2 refuses ranges it cannot satisfy: 416 with the image's length (RFC 9110 §15.5.17).
    const head = await bucket.head(path)
    if (!head) fail({ kind: 'not_found', message: `No image ${name}.` })
    return new Response(null, { status: 416, headers: { 'content-range': `bytes */${head.size}` } })
  } finally {
    endTime(c, 'r2')
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
  if (range && c.req.header('range')) {
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
  c.executionCtx.waitUntil(putEdge(cacheAs, imageResponse(object, kept)).catch(() => {}))
  return new Response(answer, { headers })
}
