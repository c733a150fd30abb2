/**
 * Reads an upstream SSE body into events with eventsource-parser (WHATWG rules, no line-length
 * cap: image events carry megabytes of base64 on one line). Each event is yielded as soon as the
 * blank line that ends it arrives. Stopping early cancels the upstream body.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser'

export type { EventSourceMessage }

export async function* readSseEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<EventSourceMessage> {
  const ready: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (event) => ready.push(event) })
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      parser.feed(decoder.decode(value, { stream: true }))
      while (ready.length > 0) yield ready.shift() as EventSourceMessage
    }
    // An event without its terminating blank line is incomplete (WHATWG SSE): dropped, not yielded.
    finished = true
  } finally {
    if (!finished) await reader.cancel().catch(() => {})
  }
}
