/**
 * Writes generation events to the client as SSE (WHATWG server-sent events): upstream events
 * keep their payload bytes, completed events are rebuilt only where needed (cache hits, URL
 * answers). A `: keep-alive` comment goes out first and whenever the stream has been idle for a
 * while, so proxies don't drop generations that take minutes. A failure after the first byte
 * becomes an `event: error` frame with the OpenAI envelope, which the openai SDK raises.
 */

import type { ResultMeta } from '../cache/store'
import { asGatewayError } from '../generation/errors'
import type { GenerationEvent } from '../generation/events'
import { publicError } from '../public-error'
import { completedEventData } from './completed-event'
import { createPushStream } from './push-stream'

const encoder = new TextEncoder()

export const DEFAULT_KEEPALIVE_MS = 15_000

/** One SSE frame; multi-line data is split into several `data:` lines as the spec requires. */
export function sseFrame(event: string, data: string): Uint8Array {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`)
  return encoder.encode(`event: ${event}\n${lines.join('\n')}\n\n`)
}

const KEEPALIVE = encoder.encode(': keep-alive\n\n')

export interface SseAnswerOptions {
  keepAliveMs: number
  /** Rebuild completed events with `url` instead of `b64_json`. */
  imageUrl: ((event: Extract<GenerationEvent, { kind: 'image' }>) => string) | null
  /** Describes the result for rebuilt completed events (cache hits, JSON-answering upstreams). */
  meta: ResultMeta
  /** Keep consuming events after the client left (a paid-for generation, not a replay). */
  finishWithoutClient: boolean
}

/**
 * The SSE body, plus the promise of the whole generation. A miss runs to its end even if the
 * client leaves, so a paid-for result is still stored (pass `done` to waitUntil); a replayed hit
 * simply stops.
 */
export function sseAnswer(events: AsyncGenerator<GenerationEvent>, options: SseAnswerOptions) {
  const out = createPushStream()
  let lastWrite = Date.now()
  const write = (bytes: Uint8Array) => {
    lastWrite = Date.now()
    return out.write(bytes)
  }
  const done = (async () => {
    void write(KEEPALIVE)
    const timer = setInterval(
      () => {
        if (Date.now() - lastWrite >= options.keepAliveMs) void write(KEEPALIVE)
      },
      Math.max(10, Math.floor(options.keepAliveMs / 3)),
    )
    try {
      for await (const event of events) {
        if (out.gone && !options.finishWithoutClient) return await events.return(undefined)
        if (event.kind === 'passthrough') await write(sseFrame(event.event, event.data))
        else if (event.kind === 'image') {
          const url = options.imageUrl ? options.imageUrl(event) : null
          await write(
            sseFrame('image_generation.completed', completedEventData(event, options.meta, url)),
          )
        }
      }
    } catch (error) {
      await write(
        sseFrame('error', JSON.stringify(publicError(asGatewayError(error).failure).body)),
      )
    } finally {
      clearInterval(timer)
      out.close()
    }
  })()
  return { body: out.body, done }
}
