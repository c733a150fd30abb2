/**
 * GET /v1/images/{id}.{ext}: stored images by URL, for `<img src>` and small JSON answers,
 * immutable and public (ids are 128 random bits); `?width=&format=` asks for a variant.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { VARIANT_FORMATS, variantFields, variantSpec } from '../cache/variants'
import { fail } from '../errors'
import { serveImageFile } from '../gateway/image-file'
import { imageViews } from '../log/view-buffer'
import { IMAGE_TYPES, type ImageExt } from '../result/result'
import { rejectInvalid } from '../schema/validation-hook'
import { fileContext } from './gateway-context'
import { errorResponses, NO_KEY, openApiRouter } from './openapi'

export const imageFiles = openApiRouter()

const FILE = /^[0-9a-f]{32}\.(?:png|jpeg|webp)$/

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
    const name = c.req.valid('param').file
    const [id, ext] = name.split('.') as [string, ImageExt]
    const spec = variantSpec(c.req.valid('query'), ext)
    const response = await serveImageFile(fileContext(c), c.req.raw, { id, ext }, spec)
    // A view (shown, or revalidated), counted per image and UTC day in the request log; a part
    // of a Range download is not one. Variants count as views of their original.
    if (response.status === 200 || response.status === 304) {
      const waitUntil = (work: Promise<unknown>) => c.executionCtx.waitUntil(work)
      imageViews.add(c.env.USAGE, { image: name, at: Date.now() }, waitUntil)
    }
    return response
  },
  // Anything that is not a stored image's name is an unknown image, as before this route existed;
  // a width or format that is not offered is a 400 naming it.
  (result, c) => {
    if (result.success) return
    if (result.target === 'query') rejectInvalid(result)
    fail({ kind: 'not_found', message: `No image ${c.req.param('file')}.` })
  },
)
