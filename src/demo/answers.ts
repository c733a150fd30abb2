/**
 * The demo upstream's answers as the real API writes them, JSON or SSE (partials, then completed),
 * each image's base64 in slices; generations and edits share them but for their event names.
 */
import { completedEvent, type ImageKind, partialImageEvent } from '../result/events'
import { encodeBase64 } from '../stream/base64'
import { streamFrom } from '../stream/iterable-stream'

/** Encodes image `index` of the answer; `block` > 1 gives a coarse preview (a partial image). */
export type Render = (index: number, block: number) => Uint8Array

/** What an answer says besides its images. */
export interface AnswerSpec {
  kind: ImageKind
  n: number
  partialImages: number
  size: string
  quality: string
  background: string
  format: string
  usage: Record<string, unknown>
}

/** Bytes encoded per base64 slice (a multiple of 3), so no image becomes one long string. */
const SLICE_BYTES = 48 * 1024

const encoder = new TextEncoder()
/** Waits `ms` (none at all for 0, as tests ask). */
const pause = (ms: number) =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve()

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

/** An SSE event carrying an image: `event: …\ndata: {"type":…,"b64_json":"…",…}`. */
function imageEvent(type: string, image: Uint8Array, rest: Record<string, unknown>) {
  const fields = JSON.stringify(rest).slice(1)
  return withBase64(
    `event: ${type}\ndata: {"type":"${type}","b64_json":"`,
    image,
    fields === '}' ? '"}\n\n' : `",${fields}\n\n`,
  )
}

/** The SSE answer: each image's partials, then its completed event, each after `intervalMs`. */
export function streamAnswer(
  spec: AnswerSpec,
  render: Render,
  intervalMs: number,
): ReadableStream<Uint8Array> {
  const common = {
    created_at: Math.floor(Date.now() / 1000),
    size: spec.size,
    quality: spec.quality,
    background: spec.background,
    output_format: spec.format,
  }
  async function* frames() {
    for (let index = 0; index < spec.n; index++) {
      for (const [partialIndex, block] of previewBlocks(spec.partialImages).entries()) {
        await pause(intervalMs)
        yield* imageEvent(partialImageEvent(spec.kind), render(index, block), {
          ...common,
          partial_image_index: partialIndex,
        })
      }
      await pause(intervalMs)
      yield* imageEvent(completedEvent(spec.kind), render(index, 1), {
        ...common,
        usage: spec.usage,
      })
    }
  }
  return streamFrom(frames())
}

/** The JSON answer, written piece by piece so only one image is held in memory at a time. */
export function jsonAnswer(spec: AnswerSpec, render: Render): ReadableStream<Uint8Array> {
  const created = Math.floor(Date.now() / 1000)
  async function* pieces() {
    yield encoder.encode(`{"created":${created},"background":"${spec.background}","data":[`)
    for (let index = 0; index < spec.n; index++) {
      yield* withBase64(`${index > 0 ? ',' : ''}{"b64_json":"`, render(index, 1), '"}')
    }
    const { format: output_format, quality, size, usage } = spec
    yield encoder.encode(`],${JSON.stringify({ output_format, quality, size, usage }).slice(1)}`)
  }
  return streamFrom(pieces())
}

/** The answer as the request asked for it, with the demo's request id; `intervalMs` paces SSE. */
export function answer(
  spec: AnswerSpec,
  stream: boolean,
  render: Render,
  intervalMs: number,
): Response {
  const headers = { 'x-request-id': `req_demo_${crypto.randomUUID().replaceAll('-', '')}` }
  if (stream) {
    return new Response(streamAnswer(spec, render, intervalMs), {
      headers: {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
      },
    })
  }
  return new Response(jsonAnswer(spec, render), {
    headers: { ...headers, 'content-type': 'application/json' },
  })
}

/** A 400 in OpenAI's shape. */
export function errorAnswer(message: string, param: string | null, code: string): Response {
  return Response.json(
    { error: { message, type: 'invalid_request_error', param, code } },
    { status: 400 },
  )
}
