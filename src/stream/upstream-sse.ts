/**
 * Reads an upstream SSE body into events with eventsource-parser (WHATWG rules; no line-length
 * cap short of MAX_PAYLOAD_CHARS, since image events carry megabytes of base64 on one line). Each
 * event is yielded as soon as the blank line that ends it arrives. Stopping early, or `idleMs`
 * without a byte, cancels the upstream body.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { MAX_PAYLOAD_CHARS, OversizePayloadError, readWithin } from './idle-read'

export type { EventSourceMessage }

export async function* readSseEvents(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  maxPayloadChars = MAX_PAYLOAD_CHARS,
): AsyncGenerator<EventSourceMessage> {
  const ready: EventSourceMessage[] = []
  let oversize = false
  const parser = createParser({
    onEvent: (event) => ready.push(event),
    maxBufferSize: maxPayloadChars,
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') oversize = true
    },
  })
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let finished = false
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, idleMs)
      if (done) break
      if (oversize) throw new OversizePayloadError()
      parser.feed(decoder.decode(value, { stream: true }))
      if (oversize) throw new OversizePayloadError()
      while (ready.length > 0) yield ready.shift() as EventSourceMessage
    }
    // An event without its terminating blank line is incomplete (WHATWG SSE): dropped, not yielded.
    finished = true
  } finally {
    if (!finished) await reader.cancel().catch(() => {})
  }
}
