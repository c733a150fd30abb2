/**
 * The built-in demo upstream: a tiny OpenAI-compatible images endpoint that paints procedural
 * pictures, and edits given ones (edit.ts), so a fresh `npm start` shows the whole product with no
 * key. It answers JSON or SSE (partial images, then completed) exactly like the real API, and the
 * gateway reaches it through the same forwarding code as a real upstream. Images are made one at
 * a time as the body is read.
 */
import { Hono } from 'hono'
import {
  imageRequestSchema,
  type NormalizedImageRequest,
  normalize,
} from '../../schema/image-request'
import { answer } from './answers'
import { demoEdit } from './edit'
import { encodeImage } from './encode'
import { paintPicture, seedOf } from './picture'
import { answerSpec, demoFormat, invalid, type Resolved, resolve } from './resolve'

/** Paints and encodes image `index` of a request; `block` > 1 gives a coarse preview. */
function renderImage(req: NormalizedImageRequest, r: Resolved, index: number, block: number) {
  const channels = r.format === 'jpeg' || r.background === 'transparent' ? 4 : 3
  const pixels = paintPicture({
    width: r.width,
    height: r.height,
    seed: seedOf(`${req.model}\n${index}\n${req.prompt}`),
    channels,
    transparent: r.background === 'transparent',
    block,
  })
  return encodeImage(
    { width: r.width, height: r.height, channels, pixels },
    r.format,
    req.output_compression,
  )
}

const demo = new Hono()

demo.post('/v1/images/generations', async (c) => {
  const body: unknown = await c.req.json().catch(() => null)
  const parsed = imageRequestSchema.safeParse(body)
  if (!parsed.success) return invalid(parsed.error, body)
  const req = normalize(parsed.data)
  const format = demoFormat(req)
  if (format instanceof Response) return format
  const r = resolve(req, format)
  return answer(answerSpec(req, r), req.stream, (index, block) => renderImage(req, r, index, block))
})

demo.post('/v1/images/edits', (c) => demoEdit(c.req.raw))

/** The demo as a fetch function, the shape every upstream is called through. */
export function demoFetch(request: Request): Promise<Response> {
  return Promise.resolve(demo.fetch(request))
}
