/**
 * What a waiter gets from its generation's owner: the answer in the shape it asked for, once the
 * generation has what that shape needs (its first image, all of them, or a live stream).
 */
import { urlAnswer } from '../answer/json'
import type { AnswerShape } from '../answer/shapes'
import type { Failure } from '../failure'
import { imageUrl, type StoredImage } from '../result/result'
import type { Generation } from './generation'

export type JoinResult =
  /** The result is in the cache already: read it from R2. */
  | { kind: 'cached' }
  | { kind: 'failed'; failure: Failure }
  | {
      kind: 'answer'
      /** The generation answering: ask `failureOf(generationId)` how it ended, once its body has. */
      generationId: string
      /** MISS: this request started it; JOIN: it shared a running one; BYPASS: a forced one. */
      cache: 'MISS' | 'JOIN' | 'BYPASS'
      upstreamRequestId: string | null
      upstreamKind: 'remote' | 'demo'
      /** The upstream that served (a pool entry's name, `default`, `demo`); null before one did. */
      upstreamName: string | null
      /** Milliseconds from calling the upstream to its headers; null before it answered. */
      upstreamFirstByteMs: number | null
      /** The answer's bytes (streaming shapes and URL JSON); null for a redirect. */
      body: ReadableStream<Uint8Array> | null
      /** The first stored image (redirects). */
      firstImage: StoredImage | null
    }

/** What a waiter asked for: its answer's shape, its origin (for URLs) and the upstream's kind. */
export interface Waiter {
  shape: AnswerShape
  origin: string
  upstream: { kind: 'remote' | 'demo' }
}

/** Waits for what `join.shape` needs before answering, and answers. */
export async function answerFrom(
  { id, generation }: { id: string; generation: Generation },
  join: Waiter,
  cache: 'MISS' | 'JOIN' | 'BYPASS' = 'MISS',
): Promise<JoinResult> {
  const started = () => ({
    generationId: id,
    cache,
    upstreamRequestId: generation.upstream?.upstreamRequestId ?? null,
    upstreamKind: generation.upstream?.upstreamKind ?? join.upstream.kind,
    upstreamName: generation.upstream?.upstreamName ?? null,
    upstreamFirstByteMs: generation.upstream?.upstreamFirstByteMs ?? null,
  })
  const ended = (): JoinResult | null => {
    const outcome = generation.outcome
    if (outcome?.kind === 'cached') return { kind: 'cached' }
    if (outcome?.kind === 'failed') return { kind: 'failed', failure: outcome.failure }
    return null
  }
  if (join.shape === 'redirect') {
    const firstImage = await generation.firstImage().catch(() => null)
    if (!firstImage) return ended() ?? { kind: 'failed', failure: { kind: 'internal' } }
    return { kind: 'answer', ...started(), body: null, firstImage }
  }
  if (join.shape === 'json-url') {
    const images = await generation.images().catch(() => null)
    const outcome = generation.outcome
    if (!images || outcome?.kind !== 'done') {
      return ended() ?? { kind: 'failed', failure: { kind: 'internal' } }
    }
    const body = urlAnswer(
      images.map((image) => imageUrl(join.origin, image)),
      outcome.meta,
    )
    return { kind: 'answer', ...started(), body: new Response(body).body, firstImage: null }
  }
  const subscriber = generation.subscribe(join.shape, join.origin)
  const head = await subscriber.head
  if (head.kind === 'cached') return { kind: 'cached' }
  if (head.kind === 'failed') return { kind: 'failed', failure: head.failure }
  return { kind: 'answer', ...started(), body: subscriber.body, firstImage: null }
}
