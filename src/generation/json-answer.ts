/**
 * Writes generation events to the client as the Images API's JSON answer. Base64 answers are
 * written image by image as they arrive, never holding the whole body; URL answers (our
 * `response_format: "url"`) wait until every image is stored, then send a small JSON.
 * The generation runs to its end even if the client leaves; pass `done` to waitUntil.
 */
import type { ResultMeta } from '../cache/store'
import { asGatewayError } from './errors'
import type { GenerationEvent } from './events'

const encoder = new TextEncoder()

type ImageEvent = Extract<GenerationEvent, { kind: 'image' }>

/** The answer's fields other than `data`, in OpenAI's order. */
function metaFields(meta: ResultMeta): Record<string, unknown> {
  const fields: Record<string, unknown> = { created: meta.created }
  for (const name of ['background', 'output_format', 'quality', 'size', 'usage'] as const) {
    if (meta[name] !== undefined) fields[name] = meta[name]
  }
  return fields
}

/** The base64 answer as a stream: `{"data":[...images...],"created":...,...}`. */
export function jsonAnswer(events: AsyncIterable<GenerationEvent>) {
  let clientGone = false
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const write = (text: string) => {
    if (clientGone) return
    try {
      controller.enqueue(encoder.encode(text))
    } catch {
      clientGone = true
    }
  }
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
    },
    cancel() {
      clientGone = true
    },
  })
  const done = (async () => {
    try {
      write('{"data":[')
      for await (const event of events) {
        if (event.kind === 'image') write(`${event.index > 0 ? ',' : ''}{"b64_json":"${event.b64}"}`)
        if (event.kind === 'done') write(`],${JSON.stringify(metaFields(event.meta)).slice(1)}`)
      }
      if (!clientGone) controller.close()
    } catch (error) {
      // Headers are gone already: end the body abruptly so the client sees a broken answer,
      // never a truncated JSON that might parse.
      if (!clientGone) controller.error(asGatewayError(error))
    }
  })()
  return { body, done }
}

/** The URL answer: every image stored first, then `{"created":...,"data":[{"url":...}],...}`. */
export async function urlAnswer(events: AsyncIterable<GenerationEvent>, imageUrl: (event: ImageEvent) => string) {
  const data: { url: string }[] = []
  let meta: ResultMeta | null = null
  for await (const event of events) {
    if (event.kind === 'image') data.push({ url: imageUrl(event) })
    if (event.kind === 'done') meta = event.meta
  }
  const { created, ...rest } = metaFields(meta ?? { created: Math.floor(Date.now() / 1000) })
  return { created, data, ...rest }
}

/** Starts a generation and waits for its first event, so early failures get a real HTTP status. */
export async function primed<T>(events: AsyncGenerator<T>): Promise<AsyncGenerator<T>> {
  const first = await events.next()
  return (async function* () {
    if (first.done) return
    yield first.value
    yield* events
  })()
}
