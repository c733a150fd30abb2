/**
 * Writes generation events to the client as the Images API's JSON answer. Base64 answers are
 * written image by image as they arrive, never holding the whole body; URL answers (our
 * `response_format: "url"`) wait until every image is stored, then send a small JSON.
 * The generation runs to its end even if the client leaves; pass `done` to waitUntil.
 */
import type { ResultMeta } from '../cache/store'
import { createPushStream } from '../stream/push-stream'
import { asGatewayError } from './errors'
import type { GenerationEvent } from './events'

type ImageEvent = Extract<GenerationEvent, { kind: 'image' }>

/** The answer's fields other than `data`, in OpenAI's order. */
function metaFields(meta: ResultMeta): Record<string, unknown> {
  const fields: Record<string, unknown> = { created: meta.created }
  for (const name of ['background', 'output_format', 'quality', 'size', 'usage'] as const) {
    if (meta[name] !== undefined) fields[name] = meta[name]
  }
  return fields
}

/**
 * The base64 answer as a stream: `{"data":[...images...],"created":...,...}`. If the client
 * leaves, a miss keeps running (its result gets stored); a replayed hit simply stops.
 */
export function jsonAnswer(events: AsyncGenerator<GenerationEvent>, finishWithoutClient: boolean) {
  const out = createPushStream()
  const done = (async () => {
    try {
      await out.write('{"data":[')
      for await (const event of events) {
        if (out.gone && !finishWithoutClient) return await events.return(undefined)
        if (event.kind === 'image')
          await out.write(`${event.index > 0 ? ',' : ''}{"b64_json":"${event.b64}"}`)
        if (event.kind === 'done')
          await out.write(`],${JSON.stringify(metaFields(event.meta)).slice(1)}`)
      }
      out.close()
    } catch (error) {
      out.error(asGatewayError(error))
    }
  })()
  return { body: out.body, done }
}

/** The URL answer: every image stored first, then `{"created":...,"data":[{"url":...}],...}`. */
export async function urlAnswer(
  events: AsyncIterable<GenerationEvent>,
  imageUrl: (event: ImageEvent) => string,
) {
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
