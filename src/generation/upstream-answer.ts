/**
 * Where the owner's generation gets its upstream answer: the legacy upstream or the demo as
 * before (one retry), or a pool of upstreams (capacity, queueing, failover), whose serving
 * upstream is named for the logs and told how its answer ended.
 */
import type { Bindings } from '../env'
import type { Failure } from '../failure'
import { callPool, type PoolService } from '../pool/pool-call'
import { POOL_OBJECT_NAME } from '../pool/upstream-pool'
import type { Piece } from '../result/pieces'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { UpstreamSettings } from '../settings'
import { callUpstream, type UpstreamCall } from '../upstream/client'
import { type ReadAnswerOptions, readUpstreamAnswer } from '../upstream/read-answer'
import { targetFromSettings } from '../upstream/target'
import { failureOf } from './errors'

/** A 2xx answer, whose body is the generation's to read. */
export interface OpenedAnswer {
  response: Response
  kind: 'remote' | 'demo'
  /** The upstream that serves: a pool entry's name, `default` (legacy) or `demo`. */
  name: string
  /** Reads an `error` event of its stream (undefined: OpenAI's reading). */
  eventFailure?: (data: string) => Failure
  piece: (piece: Piece) => Piece
  /** How reading the answer ended (null: it succeeded). Exactly once. */
  finish(failure: Failure | null): Promise<void>
  /** True when a pool served it: its end is logged with the upstream's name. */
  pooled: boolean
}

export interface OpenOptions {
  upstream: UpstreamSettings
  request: NormalizedImageRequest
  call: UpstreamCall
  /** The request is about to wait for an upstream with capacity. */
  onQueued: () => void
}

const same = (piece: Piece) => piece

export async function openUpstream(env: Bindings, options: OpenOptions): Promise<OpenedAnswer> {
  const { upstream, call } = options
  if (!upstream.pooled) {
    const target = targetFromSettings(upstream)
    const response = await callUpstream(target, call)
    const name = target.kind === 'demo' ? 'demo' : (upstream.entries[0]?.name ?? 'default')
    return { response, kind: target.kind, name, piece: same, finish: async () => {}, pooled: false }
  }
  const pool = env.UPSTREAM_POOL.get(env.UPSTREAM_POOL.idFromName(POOL_OBJECT_NAME))
  const served = await callPool({
    pool: pool as unknown as PoolService,
    entries: upstream.entries,
    request: options.request,
    call,
    timeoutMs: upstream.timeoutMs,
    maxQueueMs: Math.min(upstream.queueTimeoutMs, upstream.totalTimeoutMs),
    onQueued: options.onQueued,
  })
  return {
    response: served.response,
    kind: 'remote',
    name: served.entry.name,
    eventFailure: served.eventFailure,
    piece: served.piece,
    finish: (failure) => served.finish(failure).catch(() => {}),
    pooled: true,
  }
}

/**
 * Reads the opened answer into pieces in OpenAI's terms, then tells its upstream how it ended;
 * a pool's serving upstream is named in the log line (never in what clients see).
 */
export async function readOpened(opened: OpenedAnswer, options: ReadAnswerOptions): Promise<void> {
  let failure: Failure | null = null
  try {
    await readUpstreamAnswer(opened.response, {
      ...options,
      emit: (piece) => options.emit(opened.piece(piece)),
      eventFailure: opened.eventFailure,
    })
  } catch (error) {
    failure = failureOf(error, true)
    throw error
  } finally {
    await opened.finish(failure)
    if (opened.pooled) {
      const outcome = failure?.kind ?? 'answered'
      console.log(JSON.stringify({ event: 'upstream_answer', upstream: opened.name, outcome }))
    }
  }
}
