/**
 * The HTTP response around an answer's body: content type and caching headers per shape, and
 * `x-cache` (HIT, MISS, BYPASS) so hits and misses, which share their shape, can be told apart.
 */
import type { AnswerShape } from './shapes'

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS'

export function answerResponse(
  shape: AnswerShape,
  body: ReadableStream<Uint8Array> | Uint8Array | null,
  headers: Record<string, string>,
): Response {
  if (shape === 'sse' || shape === 'sse-url') {
    return new Response(body, {
      headers: {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
      },
    })
  }
  return new Response(body, { headers: { ...headers, 'content-type': 'application/json' } })
}
