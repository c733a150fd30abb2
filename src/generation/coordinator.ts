/**
 * The one owner of each cache key (a Durable Object named by the key): concurrent identical
 * requests join a single upstream generation and all get its result. The generation is the
 * owner's, not any client's: it runs to its end and is stored even if every client leaves
 * (bounded by the platform: see README, "One generation per picture"), and by its total
 * deadline. A failure reaches every waiter at once; the next request starts afresh.
 *
 * Each waiter gets its answer's finished bytes (SSE or JSON) as a stream the worker passes to its
 * client untouched, or, for URL answers and embeds, what it needs to answer once images are stored.
 */
import { DurableObject } from 'cloudflare:workers'
import { type BillingRef, refund, settleGeneration } from '../access/billing'
import { urlAnswer } from '../answer/json'
import type { AnswerShape } from '../answer/shapes'
import { discardInputs, openInput } from '../cache/inputs'
import { ResultStore, randomId } from '../cache/store'
import type { Bindings } from '../env'
import type { Failure } from '../errors'
import { imageUrl, type ResultMeta, type StoredImage } from '../result/result'
import { kindOf, type NormalizedImageRequest } from '../schema/image-request'
import { callUpstream } from '../upstream/client'
import type { UpstreamPayload } from '../upstream/payload'
import { readUpstreamAnswer } from '../upstream/read-answer'
import { targetFromSettings, type UpstreamSettings } from '../upstream/target'
import { failureOf } from './errors'
import { DEFAULT_GRACE_MS, Generation } from './generation'
import { ResultWriter } from './result-writer'

export interface JoinRequest {
  key: string
  request: NormalizedImageRequest
  /** What to send upstream: a generation's JSON body, or an edit's fields and stored pictures. */
  payload: UpstreamPayload
  /**
   * An edit's temporary input objects, deleted once they are no longer needed: at once when the
   * request joins a running generation, else when its own generation ends, unless `keepInputs`
   * and that generation's result is stored (its manifest lists them).
   */
  discard: string[]
  /** The operator keeps the inputs of edits whose result is stored (KEEP_EDIT_INPUTS). */
  keepInputs: boolean
  /** Which upstream to call, resolved by the worker that received the request. */
  upstream: UpstreamSettings
  /** A cache bypass: generate even if an entry exists, and replace it. */
  replace: boolean
  /** The answer this waiter wants; `origin` prefixes its image URLs. */
  shape: AnswerShape
  origin: string
  /** The cache TTL the worker applies, so owner and worker agree on what counts as cached. */
  ttlSeconds: number | null
  /** Funds reserved for this request; settled by whoever ends up paying, refunded otherwise. */
  billing: BillingRef | null
  /** Idle time before an SSE keep-alive comment. */
  keepAliveMs: number
}

export type JoinResult =
  /** The result is in the cache already: read it from R2. */
  | { kind: 'cached' }
  | { kind: 'failed'; failure: Failure }
  | {
      kind: 'answer'
      /** The generation answering: ask `failureOf(generationId)` how it ended, once its body has. */
      generationId: string
      upstreamRequestId: string | null
      upstreamKind: 'remote' | 'demo'
      /** Milliseconds from calling the upstream to its headers; null before it answered. */
      upstreamFirstByteMs: number | null
      /** The answer's bytes (streaming shapes and URL JSON); null for a redirect. */
      body: ReadableStream<Uint8Array> | null
      /** The first stored image (redirects). */
      firstImage: StoredImage | null
    }

const wantsUrls = (shape: AnswerShape) =>
  shape === 'sse-url' || shape === 'json-url' || shape === 'redirect'

/** How many ended generations' failures an owner can tell (a key rarely has more at once). */
const ENDINGS_KEPT = 16

interface Running {
  id: string
  generation: Generation
  writer: ResultWriter
}

export class GenerationCoordinator extends DurableObject<Bindings> {
  private running: Running | null = null
  private readonly work = new Set<Promise<void>>()
  /** The latest generations that ended here, and their failure (null: they succeeded). */
  private readonly endings = new Map<string, Failure | null>()

  /** Joins the running generation for this key, or starts one, and answers as `join.shape`. */
  async join(join: JoinRequest): Promise<JoinResult> {
    let running = this.running
    if (running) {
      // Once any waiter has been given URLs, a failure must not delete the images behind them.
      if (wantsUrls(join.shape)) running.writer.keepImagesOnFailure()
      // A joiner's picture is already paid for by whoever started the generation.
      if (join.billing) this.ctx.waitUntil(refund(this.env, join.billing))
      this.ctx.waitUntil(discardInputs(this.env.IMAGES, join.discard))
    } else {
      running = this.begin(join)
    }
    return answerFrom(running, join)
  }

  /**
   * How generation `id` ended: its failure, or null when it succeeded, has not ended, or is no
   * longer known here (an owner evicted since). Lets a worker that passed an answer through
   * untouched learn, after its end, whether it ended with an error.
   */
  async failureOf(id: string): Promise<Failure | null> {
    return this.endings.get(id) ?? null
  }

  /** Resolves once no generation runs here and its background work is done (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work])
  }

  private ended(id: string, failure: Failure | null): void {
    this.endings.set(id, failure)
    for (const oldest of this.endings.keys()) {
      if (this.endings.size <= ENDINGS_KEPT) break
      this.endings.delete(oldest)
    }
  }

  private track(work: Promise<void>): void {
    this.work.add(work)
    work.finally(() => this.work.delete(work))
    this.ctx.waitUntil(work)
  }

  private begin(join: JoinRequest): Running {
    const store = new ResultStore(this.env.IMAGES, join.ttlSeconds)
    const id = randomId()
    const writer = new ResultWriter({
      request: join.request,
      key: join.key,
      store,
      replace: join.replace,
      keepImagesOnFailure: wantsUrls(join.shape),
      generationId: id,
      keptInputs: keptInputs(join),
    })
    const meta = requestedMeta(join.request)
    const kind = kindOf(join.request)
    const generation = new Generation(store, meta, writer, join.keepAliveMs, DEFAULT_GRACE_MS, kind)
    const running = { id, generation, writer }
    this.running = running
    this.track(this.run(running, join))
    return running
  }

  private async run({ id, generation, writer }: Running, join: JoinRequest): Promise<void> {
    let paid = false
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(), join.upstream.totalTimeoutMs)
    try {
      // A request that missed the cache just before the last generation committed lands here.
      if (!join.replace && (await generation.store.lookup(join.key))) {
        generation.finish({ kind: 'cached' })
        return
      }
      const target = targetFromSettings(join.upstream)
      const called = Date.now()
      const upstream = await callUpstream(target, {
        payload: join.payload,
        open: (object) => openInput(this.env.IMAGES, object),
        signal: deadline.signal,
      })
      generation.start({
        upstreamRequestId: upstream.headers.get('x-request-id'),
        upstreamKind: target.kind,
        upstreamFirstByteMs: Date.now() - called,
      })
      await readUpstreamAnswer(upstream, {
        idleMs: join.upstream.idleTimeoutMs,
        signal: deadline.signal,
        emit: (piece) => generation.publish(piece),
        afterChunk: () => both(writer.ready(), generation.ready()),
      })
      const meta = await writer.complete()
      if (join.billing) {
        await settleGeneration(this.env, join.billing, join.request, meta.usage)
        paid = true
      }
      this.ended(id, null)
      generation.finish({ kind: 'done', meta })
    } catch (error) {
      await writer.discard(error).catch(() => {})
      const failure = failureOf(error, generation.started)
      this.ended(id, failure) // before the waiters hear of it, so they can ask
      generation.finish({ kind: 'failed', failure })
    } finally {
      clearTimeout(timer)
      if (join.billing && !paid) await refund(this.env, join.billing)
      if (!writer.inputsListed) await discardInputs(this.env.IMAGES, join.discard)
      if (this.running?.generation === generation) this.running = null
      generation.whenIdle(() => this.track(writer.cleanup().catch(() => {})))
    }
  }
}

/** Waits for what `join.shape` needs before answering, and answers. */
async function answerFrom({ id, generation }: Running, join: JoinRequest): Promise<JoinResult> {
  const started = () => ({
    generationId: id,
    upstreamRequestId: generation.upstream?.upstreamRequestId ?? null,
    upstreamKind: generation.upstream?.upstreamKind ?? join.upstream.kind,
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

/** An edit's input pictures that outlive it if its result is stored, in upstream order. */
function keptInputs({ payload, keepInputs }: JoinRequest): string[] {
  if (payload.kind !== 'edit' || !keepInputs) return []
  return payload.files.map((file) => file.object)
}

/** A promise for both waits, or the one there is, or null. */
function both(a: Promise<unknown> | null, b: Promise<unknown> | null): Promise<unknown> | null {
  if (a && b) return Promise.all([a, b]).then(() => {})
  return a ?? b
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
