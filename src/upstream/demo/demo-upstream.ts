/**
 * The built-in demo upstream: a tiny OpenAI-compatible images endpoint that paints procedural
 * pictures, so a fresh `npm start` shows the whole product with no key. It answers JSON or SSE
 * (partial images, then completed) exactly like the real API, and the gateway reaches it through
 * the same forwarding code as a real upstream. Images are made one at a time as the body is read.
 */
import { Hono } from 'hono'
import { capabilitiesOf, imageOutputTokens, PARTIAL_IMAGE_TOKENS, parseSize } from '../../models'
import { publicError } from '../../public-error'
import {
  imageRequestSchema,
  type NormalizedImageRequest,
  normalize,
} from '../../schema/image-request'
import { describeIssue } from '../../schema/validation-hook'
import { encodeBase64 } from '../../stream/base64'
import { streamFrom } from '../../stream/iterable-stream'
import { type DemoFormat, encodeImage, isDemoFormat } from './encode'
import { paintPicture, seedOf } from './picture'

/** Pause between streamed partial images: a few hundred ms, like a real generation. */
const PARTIAL_IMAGE_INTERVAL_MS = 300

/** What the demo resolves `auto` values to, as the real API reports them back. */
interface Resolved {
  width: number
  height: number
  size: string
  quality: 'low' | 'medium' | 'high'
  background: 'opaque' | 'transparent'
  format: DemoFormat
}

function resolve(req: NormalizedImageRequest, format: DemoFormat): Resolved {
  const size = req.size === 'auto' ? capabilitiesOf(req.model).defaultSize : req.size
  const { width, height } = parseSize(size) ?? { width: 1024, height: 1024 }
  const quality = req.quality === 'auto' ? 'medium' : req.quality
  const background = req.background === 'transparent' ? 'transparent' : 'opaque'
  return { width, height, size, quality, background, format }
}

function usage(req: NormalizedImageRequest, r: Resolved) {
  const perImage = imageOutputTokens(req.model, r.quality, r.width * r.height)
  const input = Math.ceil(req.prompt.length / 4)
  const output = req.n * (perImage + PARTIAL_IMAGE_TOKENS * req.partial_images)
  return {
    input_tokens: input,
    input_tokens_details: { image_tokens: 0, text_tokens: input },
    output_tokens: output,
    total_tokens: input + output,
  }
}

/** Paints and encodes image `index` of a request; `block` > 1 gives a coarse preview. */
function renderImage(
  req: NormalizedImageRequest,
  r: Resolved,
  index: number,
  block: number,
): Uint8Array {
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

/** Bytes encoded per base64 slice (a multiple of 3), so no image becomes one long string. */
const SLICE_BYTES = 48 * 1024

/** `head`, the image's base64 in slices, then `tail`, as the pieces of a body. */
function* withBase64(head: string, image: Uint8Array, tail: string): Generator<Uint8Array> {
  yield encoder.encode(head)
  for (let at = 0; at < image.length; at += SLICE_BYTES) {
    yield encoder.encode(encodeBase64(image.subarray(at, at + SLICE_BYTES)))
  }
  yield encoder.encode(tail)
}

/** Block sizes of the previews: coarse to fine, e.g. 3 partials → 48, 24, 12 pixels. */
function previewBlocks(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 12 * 2 ** (count - 1 - i))
}

const encoder = new TextEncoder()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** An SSE event carrying an image: `event: …\ndata: {"type":…,"b64_json":"…",…}`. */
function imageEvent(type: string, image: Uint8Array, rest: Record<string, unknown>) {
  const fields = JSON.stringify(rest).slice(1)
  return withBase64(
    `event: ${type}\ndata: {"type":"${type}","b64_json":"`,
    image,
    fields === '}' ? '"}\n\n' : `",${fields}\n\n`,
  )
}

/** The SSE answer: for each image its partials (paced), then its completed event. */
function streamAnswer(req: NormalizedImageRequest, r: Resolved): ReadableStream<Uint8Array> {
  const created = Math.floor(Date.now() / 1000)
  const common = {
    created_at: created,
    size: r.size,
    quality: r.quality,
    background: r.background,
    output_format: r.format,
  }
  async function* frames() {
    for (let index = 0; index < req.n; index++) {
      for (const [partialIndex, block] of previewBlocks(req.partial_images).entries()) {
        await sleep(PARTIAL_IMAGE_INTERVAL_MS)
        yield* imageEvent('image_generation.partial_image', renderImage(req, r, index, block), {
          ...common,
          partial_image_index: partialIndex,
        })
      }
      await sleep(PARTIAL_IMAGE_INTERVAL_MS)
      yield* imageEvent('image_generation.completed', renderImage(req, r, index, 1), {
        ...common,
        usage: usage(req, r),
      })
    }
  }
  return streamFrom(frames())
}

/** The JSON answer, written piece by piece so only one image is held in memory at a time. */
function jsonAnswer(req: NormalizedImageRequest, r: Resolved): ReadableStream<Uint8Array> {
  const created = Math.floor(Date.now() / 1000)
  async function* pieces() {
    yield encoder.encode(`{"created":${created},"background":"${r.background}","data":[`)
    for (let index = 0; index < req.n; index++) {
      yield* withBase64(`${index > 0 ? ',' : ''}{"b64_json":"`, renderImage(req, r, index, 1), '"}')
    }
    const tail = { output_format: r.format, quality: r.quality, size: r.size, usage: usage(req, r) }
    yield encoder.encode(`],${JSON.stringify(tail).slice(1)}`)
  }
  return streamFrom(pieces())
}

function errorAnswer(message: string, param: string | null, code: string): Response {
  return Response.json(
    { error: { message, type: 'invalid_request_error', param, code } },
    { status: 400 },
  )
}

const demo = new Hono()

demo.post('/v1/images/generations', async (c) => {
  const body: unknown = await c.req.json().catch(() => null)
  const parsed = imageRequestSchema.safeParse(body)
  if (!parsed.success) {
    const [issue] = parsed.error.issues
    const message = issue
      ? publicError(describeIssue(issue, body)).body.error.message
      : 'Invalid request.'
    return errorAnswer(message, issue?.path.join('.') ?? null, 'invalid_value')
  }
  const req = normalize(parsed.data)
  if (!isDemoFormat(req.output_format)) {
    return errorAnswer(
      `The demo generator cannot encode ${req.output_format}.`,
      'output_format',
      'unsupported_value',
    )
  }
  const resolved = resolve(req, req.output_format)
  const headers = { 'x-request-id': `req_demo_${crypto.randomUUID().replaceAll('-', '')}` }
  if (req.stream) {
    return new Response(streamAnswer(req, resolved), {
      headers: {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
      },
    })
  }
  return new Response(jsonAnswer(req, resolved), {
    headers: { ...headers, 'content-type': 'application/json' },
  })
})

/** The demo as a fetch function, the shape every upstream is called through. */
export function demoFetch(request: Request): Promise<Response> {
  return Promise.resolve(demo.fetch(request))
}
