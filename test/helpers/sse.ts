/** Reads an SSE response into events with their arrival times, using eventsource-parser. */
import { createParser, type EventSourceMessage } from 'eventsource-parser'

export interface ReceivedEvent extends EventSourceMessage {
  /** ms since reading began */
  at: number
}

export async function readEvents(res: Response): Promise<ReceivedEvent[]> {
  const events: ReceivedEvent[] = []
  const started = Date.now()
  const parser = createParser({
    onEvent: (event) => events.push({ ...event, at: Date.now() - started }),
  })
  const decoder = new TextDecoder()
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parser.feed(decoder.decode(value, { stream: true }))
  }
  return events
}
