/**
 * Answers a generation in the form the request asked for: SSE for `stream: true` (cache hits
 * too, since the openai SDK decides to parse SSE from the request), URLs for
 * `response_format: "url"`, and OpenAI's base64 JSON otherwise. Hits and misses share the shape;
 * `x-cache` tells them apart.
 */
import type { ResultMeta } from '../cache/store'
import type { AppContext } from '../env'
import type { GenerationEvent } from '../generation/events'
import { jsonAnswer, primed, urlAnswer } from '../generation/json-answer'
import type { NormalizedImageRequest } from '../schema/image-request'
import { DEFAULT_KEEPALIVE_MS, sseAnswer } from '../stream/sse-answer'

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS'

export interface AnswerOptions {
  cache: CacheStatus
  /** Headers to pass on from the upstream answer (misses only). */
  upstreamHeaders?: Record<string, string>
  /** What is known of the result up front (hits); misses learn it as they go. */
  meta?: ResultMeta
}

type ImageEvent = Extract<GenerationEvent, { kind: 'image' }>

export async function answer(
  c: AppContext,
  request: NormalizedImageRequest,
  events: AsyncGenerator<GenerationEvent>,
  options: AnswerOptions,
): Promise<Response> {
  const headers: Record<string, string> = { 'x-cache': options.cache, ...options.upstreamHeaders }
  const origin = new URL(c.req.url).origin
  const imageUrl = (event: ImageEvent) =>
    event.stored ? `${origin}/v1/images/${event.stored.id}.${event.stored.ext}` : ''
  if (request.stream) {
    const keepAlive = Number(c.env.SSE_KEEPALIVE_MS)
    const { body, done } = sseAnswer(events, {
      keepAliveMs: Number.isFinite(keepAlive) && keepAlive > 0 ? keepAlive : DEFAULT_KEEPALIVE_MS,
      imageUrl: request.response_format === 'url' ? imageUrl : null,
      meta: options.meta ?? requestedMeta(request),
      finishWithoutClient: options.cache !== 'HIT',
    })
    c.executionCtx.waitUntil(done)
    return new Response(body, {
      headers: {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
      },
    })
  }
  if (request.response_format === 'url') {
    return Response.json(await urlAnswer(events, imageUrl), { headers })
  }
  const { body, done } = jsonAnswer(await primed(events), options.cache !== 'HIT')
  c.executionCtx.waitUntil(done)
  return new Response(body, { headers: { ...headers, 'content-type': 'application/json' } })
}

/** What the request asked for, for completed events rebuilt before the upstream said more. */
function requestedMeta(request: NormalizedImageRequest): ResultMeta {
  return {
    created: Math.floor(Date.now() / 1000),
    size: request.size,
    quality: request.quality,
    background: request.background,
    output_format: request.output_format,
  }
}
