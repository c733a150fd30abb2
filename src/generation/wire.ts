/**
 * The messages a generation's owner (the Durable Object) sends to each waiting request, as
 * newline-delimited JSON over one byte stream. JSON.stringify never emits a raw newline, so a
 * newline always ends a message, however many MB of base64 it carries.
 */
import type { Failure } from '../errors'
import type { GenerationEvent } from './events'

export type WireMessage =
  /** The result is in the cache already: read it from R2. */
  | { t: 'cached' }
  /** The upstream accepted the request; events follow. */
  | { t: 'started'; upstreamRequestId: string | null; upstreamKind: 'remote' | 'demo' }
  | { t: 'event'; event: GenerationEvent }
  | { t: 'error'; failure: Failure }

const encoder = new TextEncoder()

export function encodeMessage(message: WireMessage): Uint8Array {
  return encoder.encode(`${JSON.stringify(message)}\n`)
}

/** Reads messages from a stream of NDJSON bytes. */
export async function* readMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<WireMessage> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let pending: Uint8Array[] = []
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      let start = 0
      let newline = value.indexOf(0x0a)
      while (newline >= 0) {
        pending.push(value.subarray(start, newline))
        yield JSON.parse(decoder.decode(concat(pending))) as WireMessage
        pending = []
        start = newline + 1
        newline = value.indexOf(0x0a, start)
      }
      if (start < value.length) pending.push(value.slice(start))
    }
    finished = true
  } finally {
    if (!finished) await reader.cancel().catch(() => {})
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
