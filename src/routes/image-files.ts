/**
 * GET /v1/images/{id}.{ext}: stored images by URL, for `<img src>` and small JSON answers.
 * Immutable and public (ids are 128 random bits), with ETag revalidation and Range requests
 * answered by R2 itself.
 */
import { Hono } from 'hono'
import { ResultStore } from '../cache/store'
import type { AppEnv } from '../env'
import { fail } from '../errors'

export const imageFiles = new Hono<AppEnv>()

const IMMUTABLE = 'public, max-age=31536000, immutable'

/** R2's refusal of an unsatisfiable Range (its error 10039, InvalidRange). */
function isRangeError(error: unknown): boolean {
  return error instanceof Error && /\b10039\b|range/i.test(error.message)
}

imageFiles.get('/:file{[0-9a-f]{32}\\.(?:png|jpeg|webp)}', async (c) => {
  const [id, ext] = c.req.param('file').split('.') as [string, 'png' | 'jpeg' | 'webp']
  const store = new ResultStore(c.env.IMAGES, null)
  let object: R2Object | R2ObjectBody | null
  try {
    object = await store.getImage(id, ext, c.req.raw.headers)
  } catch (error) {
    if (!c.req.header('range') || !isRangeError(error)) throw error
    // R2 refuses ranges it cannot satisfy: 416 with the image's length (RFC 9110 §15.5.17).
    const head = await store.headImage(id, ext)
    if (!head) fail({ kind: 'not_found', message: `No image ${id}.${ext}.` })
    return new Response(null, { status: 416, headers: { 'content-range': `bytes */${head.size}` } })
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
  if (range && c.req.header('range')) {
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
})

imageFiles.get('/:file', (c) =>
  fail({ kind: 'not_found', message: `No image ${c.req.param('file')}.` }),
)
