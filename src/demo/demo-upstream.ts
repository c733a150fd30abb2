/**
 * The built-in demo upstream: an OpenAI-compatible images endpoint that paints and edits pictures,
 * answering JSON or SSE like the real API, so a fresh `npm start` shows the whole product with no
 * key. The gateway reaches it through fetch, like any upstream.
 */
import { Hono } from 'hono'
import { answer } from './answers'
import { demoEdit } from './edit'
import { encodeImage } from './encode'
import { paintPicture, seedOf } from './picture'
import { type DemoRequest, demoRequest } from './request'
import { answerSpec, demoFormat, type Resolved, resolve } from './resolve'

/** Paints and encodes image `index` of a request; `block` > 1 gives a coarse preview. */
function renderImage(req: DemoRequest, r: Resolved, index: number, block: number) {
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

/** How the demo paces a streamed answer (a setting, DEMO_PARTIAL_INTERVAL_MS). */
export interface DemoPacing {
  /** The pause before each streamed image, partial or completed, in ms; 0 for none. */
  partialIntervalMs: number
}

const demo = new Hono<{ Bindings: DemoPacing }>()

demo.post('/v1/images/generations', async (c) => {
  const req = demoRequest(await c.req.json().catch(() => null), 'generation')
  if (req instanceof Response) return req
  const format = demoFormat(req)
  if (format instanceof Response) return format
  const r = resolve(req, format)
  const render = (index: number, block: number) => renderImage(req, r, index, block)
  return answer(answerSpec(req, r), req.stream, render, c.env.partialIntervalMs)
})

demo.post('/v1/images/edits', (c) => demoEdit(c.req.raw, c.env.partialIntervalMs))

/** The demo as a fetch function, the shape every upstream is called through. */
export function demoFetch(request: Request, pacing: DemoPacing): Promise<Response> {
  return Promise.resolve(demo.fetch(request, pacing))
}
