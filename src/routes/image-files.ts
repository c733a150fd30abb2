/**
 * GET /v1/images/{id}.{ext}: stored images by URL, for `<img src>` and small JSON answers.
 * Immutable and public (ids are 128 random bits), with ETag revalidation and Range requests
 * answered by R2 itself.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { ResultStore } from '../cache/store'
import { fail } from '../errors'
import { IMAGE_TYPES, type ImageExt } from '../result/result'
import { errorResponses, NO_KEY, openApiRouter } from './openapi'

export const imageFiles = openApiRouter()

const IMMUTABLE = 'public, max-age=31536000, immutable'
const FILE = /^[0-9a-f]{32}\.(?:png|jpeg|webp)$/

/** R2's refusal of an unsatisfiable Range (its error 10039, InvalidRange). */
function isRangeError(error: unknown): boolean {
  return error instanceof Error && /\b10039\b|range/i.test(error.message)
}

const binary = z.string().meta({ format: 'binary' })

const file = createRoute({
  method: 'get',
  path: '/{file}',
  summary: 'A stored image',
  description:
    'Immutable (`Cache-Control: public, max-age=31536000, immutable`), with `ETag` revalidation and Range requests.',
  security: NO_KEY,
  request: {
    params: z.object({
      file: z.string().regex(FILE).meta({
        description: '`{id}.{ext}`: the 32 hex digits of an image URL, then png, jpeg or webp.',
        example: '9f86d081884c7d659a2feaa0c55ad015.png',
      }),
    }),
    headers: z.object({
      range: z.string().optional().meta({ description: 'One byte range (RFC 9110).' }),
      'if-none-match': z.string().optional().meta({ description: 'An ETag from before.' }),
    }),
  },
  responses: {
    200: {
      description: 'The image.',
      content: Object.fromEntries(
        Object.values(IMAGE_TYPES).map((type) => [type, { schema: binary }]),
      ),
    },
    206: { description: 'The requested byte range (`Content-Range`).' },
    304: { description: 'Not modified (If-None-Match).' },
    ...errorResponses({ 404: 'No such image.' }),
    416: { description: 'A range the image cannot satisfy (`Content-Range: bytes */{length}`).' },
  },
})

imageFiles.openapi(
  file,
  async (c) => {
    const [id, ext] = c.req.valid('param').file.split('.') as [string, ImageExt]
    const store = new ResultStore(c.env.IMAGES, null)
    let object: R2Object | R2ObjectBody | null
    try {
      object = await store.getImage(id, ext, c.req.raw.headers)
    } catch (error) {
      if (!c.req.valid('header').range || !isRangeError(error)) throw error
      // R2 refuses ranges it cannot satisfy: 416 with the image's length (RFC 9110 §15.5.17).
      const head = await store.headImage(id, ext)
      if (!head) fail({ kind: 'not_found', message: `No image ${id}.${ext}.` })
      return new Response(null, {
        status: 416,
        headers: { 'content-range': `bytes */${head.size}` },
      })
    }
    if (!object) fail({ kind: 'not_found', message: `No image ${id}.${ext}.` })
    const headers = new Headers({
      etag: object.httpEtag,
      'cache-control': IMMUTABLE,
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
    })
    object.writeHttpMetadata(headers)
    if (!('body' in object)) return new Response(null, { status: 304, headers })
    const range = object.range as { offset: number; length?: number } | undefined
    if (range && c.req.valid('header').range) {
      const length = range.length ?? object.size - range.offset
      headers.set(
        'content-range',
        `bytes ${range.offset}-${range.offset + length - 1}/${object.size}`,
      )
      headers.set('content-length', String(length))
      return new Response(object.body, { status: 206, headers })
    }
    headers.set('content-length', String(object.size))
    return new Response(object.body, { headers })
  },
  // Anything that is not a stored image's name is an unknown image, as before this route existed.
  (result, c) => {
    if (!result.success) fail({ kind: 'not_found', message: `No image ${c.req.param('file')}.` })
  },
)
