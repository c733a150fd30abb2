/**
 * Reads an SSE response into events, using eventsource-parser. Events carry no arrival times: tests
 * order events with gates (`watchEvents(...).seen(n)`), never by the clock.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser'

export type ReceivedEvent = EventSourceMessage

export async function readEvents(res: Response): Promise<ReceivedEvent[]> {
  return watchEvents(res).all
}

/** Reads events as they come: `seen(n)` resolves once `n` have arrived, `all` at the end. */
export function watchEvents(res: Response): {
  seen: (count: number) => Promise<void>
  all: Promise<ReceivedEvent[]>
} {
  const events: ReceivedEvent[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const parser = createParser({
    onEvent: (event) => {
      events.push(event)
      for (const waiter of waiters) if (events.length >= waiter.count) waiter.resolve()
    },
  })
  const all = read(res, parser).then(() => events)
  const seen = (count: number) =>
    events.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiters.push({ count, resolve })
          all.then(
            () => reject(new Error(`the stream ended after ${events.length} events`)),
            reject,
          )
        })
  return { seen, all }
}

async function read(res: Response, parser: { feed: (text: string) => void }): Promise<void> {
  const decoder = new TextDecoder()
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parser.feed(decoder.decode(value, { stream: true }))
  }
}
