/**
 * The error an embed's SSE answer ended with, if any: once the upstream has started, a failure
 * (an output moderation block, a broken or timed-out upstream) reaches a stream visitor as a final
 * `event: error` frame, not as a status. The stream passes through untouched; only the chunks
 * holding its last 64 KiB are kept (by reference) to read that frame when the stream ends.
 */
import type { PublicError } from '../public-error'
import { isEnvelope } from './failure-memory'

/** An error frame's envelope holds a message, never an image: its tail is far below this. */
const TAIL_BYTES = 64 * 1024
const ERROR_EVENT = 'event: error\ndata: '

/** `body` unchanged; `ended` gets the error it ends with, if it ends with one. */
export function watchForError(
  body: ReadableStream<Uint8Array>,
  ended: (error: PublicError) => void,
): ReadableStream<Uint8Array> {
  const tail: Uint8Array[] = []
  let kept = 0
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        tail.push(chunk)
        kept += chunk.byteLength
        for (let first = tail[0]; first && kept - first.byteLength >= TAIL_BYTES; first = tail[0]) {
          tail.shift()
          kept -= first.byteLength
        }
        controller.enqueue(chunk)
      },
      flush() {
        const error = finalError(tail)
        if (error) ended(error)
      },
    }),
  )
}

/** The envelope of the error frame that ends these bytes, as the error it stands for. */
function finalError(chunks: Uint8Array[]): PublicError | null {
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0))
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  const text = new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.byteLength - TAIL_BYTES)))
  const at = text.lastIndexOf(ERROR_EVENT)
  if (at < 0) return null
  const [data = '', ...rest] = text.slice(at + ERROR_EVENT.length).split('\n')
  if (rest.join('').trim() !== '') return null // not the last frame
  let body: unknown = null
  try {
    body = JSON.parse(data)
  } catch {
    return null
  }
  if (!isEnvelope(body)) return null
  // The status the same failure has before an answer starts (src/public-error.ts), which the
  // envelope's type tells apart among failures of making a picture.
  const status = STATUS_OF_TYPE[body.error.type] ?? 500
  return { status, body, headers: { 'x-should-retry': String(status !== 400) } }
}

const STATUS_OF_TYPE: Partial<Record<string, PublicError['status']>> = {
  invalid_request_error: 400,
  requests: 429,
}
