/**
 * Reads a 2xx upstream answer, SSE or JSON, into generation pieces, under the idle and total
 * deadlines and the body-size limit. `afterChunk` lets the consumer hold the read (R2 uploads
 * that fall behind), so a slow store slows the upstream instead of filling memory.
 */
import type { Failure } from '../failure'
import { MAX_UPSTREAM_ANSWER_BYTES } from '../result/limits'
import type { Piece } from '../result/pieces'
import { ChunkReader } from '../stream/chunk-reader'
import { MalformedBodyError } from '../stream/malformed'
import { JsonAnswerReader } from './read-json'
import { SseAnswerReader } from './read-sse'

export interface ReadAnswerOptions {
  idleMs: number
  signal?: AbortSignal
  emit: (piece: Piece) => void
  afterChunk: () => Promise<unknown> | null
  /** An `error` event's failure; OpenAI's reading unless the upstream words errors otherwise. */
  eventFailure?: (data: string) => Failure
}

export async function readUpstreamAnswer(
  upstream: Response,
  options: ReadAnswerOptions,
): Promise<void> {
  const body = upstream.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })
  const reader = new ChunkReader(body, { idleMs: options.idleMs, signal: options.signal })
  const isSse = (upstream.headers.get('content-type') ?? '').includes('text/event-stream')
  const progress = () => reader.progress()
  const answer = isSse
    ? new SseAnswerReader(options.emit, progress, options.eventFailure)
    : new JsonAnswerReader(options.emit, progress)
  let total = 0
  for await (const { bytes, ref } of reader.chunks()) {
    total += bytes.length
    if (total > MAX_UPSTREAM_ANSWER_BYTES) throw new MalformedBodyError('the answer is too large')
    answer.push(bytes, ref)
    const wait = options.afterChunk()
    if (wait) await wait
  }
  answer.finish()
}
