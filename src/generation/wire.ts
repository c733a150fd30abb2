/**
 * The messages a generation's owner (the Durable Object) sends to each waiting request, over one
 * byte stream. Each message is a JSON header line; an event's one large text (an SSE payload or
 * an image's base64) follows it as raw UTF-8 bytes of the length the header gives, so megabytes
 * are neither escaped nor parsed as JSON. An image that arrived as an upstream completed event
 * travels once, as that payload; its base64 is read back out only where an answer needs it.
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

/** Which field of the event the raw bytes after the header fill in. */
type RawField = 'data' | 'b64' | 'completedData'
type Header = WireMessage & { raw?: { field: RawField; length: number } }

const encoder = new TextEncoder()

function split(message: WireMessage): { header: Header; text: string } {
  if (message.t !== 'event') return { header: message, text: '' }
  const { event } = message
  if (event.kind === 'passthrough') {
    return {
      header: { t: 'event', event: { ...event, data: '' }, raw: { field: 'data', length: 0 } },
      text: event.data,
    }
  }
  if (event.kind === 'image') {
    const field: RawField = event.completedData !== null ? 'completedData' : 'b64'
    const text = event.completedData ?? event.b64
    const stripped = { ...event, b64: '', completedData: event.completedData === null ? null : '' }
    return { header: { t: 'event', event: stripped, raw: { field, length: 0 } }, text }
  }
  return { header: message, text: '' }
}

export function encodeMessage(message: WireMessage): Uint8Array {
  const { header, text } = split(message)
  const raw = encoder.encode(text)
  if (header.raw) header.raw.length = raw.byteLength
  const head = encoder.encode(`${JSON.stringify(header)}\n`)
  if (raw.byteLength === 0) return head
  const out = new Uint8Array(head.byteLength + raw.byteLength)
  out.set(head)
  out.set(raw, head.byteLength)
  return out
}

function join(header: Header, text: string): WireMessage {
  const { raw, ...message } = header
  if (!raw || message.t !== 'event') return message
  return { t: 'event', event: { ...message.event, [raw.field]: text } as GenerationEvent }
}

/** Reads messages from the owner's byte stream. */
export async function* readMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<WireMessage> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  let header: Header | null = null
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      let start = 0
      while (start < value.length) {
        if (header === null) {
          const newline = value.indexOf(0x0a, start)
          if (newline < 0) {
            pending.push(value.slice(start))
            break
          }
          pending.push(value.subarray(start, newline))
          header = JSON.parse(decoder.decode(concat(pending))) as Header
          pending = []
          start = newline + 1
        }
        const wanted = header.raw?.length ?? 0
        const take = Math.min(wanted - pendingBytes, value.length - start)
        if (take > 0) {
          pending.push(value.subarray(start, start + take))
          pendingBytes += take
          start += take
        }
        if (pendingBytes < wanted) break
        yield join(header, wanted > 0 ? decoder.decode(concat(pending)) : '')
        header = null
        pending = []
        pendingBytes = 0
      }
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
