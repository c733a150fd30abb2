/**
 * The one owner of each cache key (a Durable Object named by the key): concurrent identical
 * requests join a single upstream generation, which is the owner's, not any client's.
 */
import { DurableObject } from 'cloudflare:workers'
import { type BillingRef, refund, reserve } from '../billing/reservations'
import { openInput, releaseInputs } from '../cache/inputs'
import { ResultStore, randomId } from '../cache/store'
import type { Bindings } from '../env'
import type { Failure } from '../failure'
import { requestedMeta } from '../result/result'
import { kindOf } from '../schema/image-request'
import { BackgroundWork } from './background-work'
import { failureOf } from './errors'
import { DEFAULT_GRACE_MS, Generation } from './generation'
import { logGeneration, type Money, NO_MONEY, settle } from './generation-log'
import { ResultWriter } from './result-writer'
import { type JoinRequest, type Running, wantsUrls } from './running'
import { type Settled, settledOf } from './settled'
import { openUpstream, readOpened } from './upstream-answer'
import { answerFrom, type JoinResult } from './waiter-answer'

export type { JoinRequest, JoinResult, Settled }

/** How many ended generations' failures an owner can tell (a key rarely has more at once). */
const ENDINGS_KEPT = 16

/**
 * A generation runs to its end and is stored even if every client leaves (bounded by the platform
 * and by its total deadline). A failure reaches every waiter at once; the next request starts
 * afresh. Only the waiter that starts a generation pays (joiners and hits never reserve).
 *
 * Each waiter gets its answer's finished bytes (SSE or JSON) as a stream the worker passes to its
 * client untouched, or, for URL answers and embeds, what it needs once images are stored.
 */
export class GenerationCoordinator extends DurableObject<Bindings> {
  private running: Running | null = null
  /** What goes on after the answers; a field, not a method, so no worker can call it. */
  readonly background = new BackgroundWork((work) => this.ctx.waitUntil(work))
  /** The latest generations that ended here, and their failure (null: they succeeded). */
  private readonly endings = new Map<string, Failure | null>()

  /**
   * Joins the running generation for this key, or starts one, and answers as `join.shape`. The
   * starter's payer reserves once the owner has checked the cache; a refusal is the starter's
   * answer alone and starts nothing. Calls that joined meanwhile (the ledger call lets them in)
   * then start afresh, each with its own payer, or join the one of them that did.
   */
  async join(join: JoinRequest): Promise<JoinResult> {
    for (;;) {
      const running = this.running ?? this.begin(join)
      const starting = running.starter === join
      // Once any waiter has been given URLs, a failure must not delete the images behind them.
      if (!starting && wantsUrls(join.shape)) running.writer.keepImagesOnFailure()
      const refusal = await running.paid
      if (starting) {
        if (refusal) return { kind: 'failed', failure: refusal }
        return answerFrom(running, join, join.replace ? 'BYPASS' : 'MISS')
      }
      if (refusal) continue
      // A joiner's picture is paid for by whoever started the generation; its inputs are unused.
      this.ctx.waitUntil(releaseInputs(this.env.IMAGES, join.inputs, false))
      running.joiners.push(join)
      return answerFrom(running, join, 'JOIN')
    }
  }

  /**
   * For work with no client waiting (a batch item, an async job): joins the running generation, or
   * starts one when `mayStart` (its payer pays), and resolves once it has ended and is stored.
   */
  async settle(join: JoinRequest, mayStart: boolean): Promise<Settled> {
    for (;;) {
      if (!this.running && !mayStart) {
        const stored = await new ResultStore(this.env.IMAGES, join.ttlSeconds).lookup(join.key)
        return stored ? { kind: 'cached' } : { kind: 'not_started' }
      }
      const running = this.running ?? this.begin(join)
      const starting = running.starter === join
      const refusal = await running.paid
      if (starting && refusal) return { kind: 'failed', failure: refusal }
      if (refusal) continue
      if (!starting) {
        this.ctx.waitUntil(releaseInputs(this.env.IMAGES, join.inputs, false))
        running.joiners.push(join) // its log row: the pictures, and the price it was spared
      }
      return settledOf(running.generation, starting)
    }
  }

  /**
   * How generation `id` ended: its failure, or null when it succeeded, has not ended, or is no
   * longer known here (an owner evicted since). Lets a worker that passed an answer through
   * untouched learn, after its end, whether it ended with an error.
   */
  async failureOf(id: string): Promise<Failure | null> {
    return this.endings.get(id) ?? null
  }

  private ended(id: string, failure: Failure | null): void {
    this.endings.set(id, failure)
    for (const oldest of this.endings.keys()) {
      if (this.endings.size <= ENDINGS_KEPT) break
      this.endings.delete(oldest)
    }
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
      inputs: join.inputs,
    })
    const meta = requestedMeta(join.request)
    const kind = kindOf(join.request)
    const generation = new Generation(store, meta, writer, join.keepAliveMs, DEFAULT_GRACE_MS, kind)
    const { promise: paid, resolve: decide } = Promise.withResolvers<Failure | null>()
    const running = { id, generation, writer, starter: join, joiners: [], paid, decide }
    this.running = running
    this.background.add(this.run(running))
    return running
  }

  /** Pays for the generation, unless it is cached or refused: its bill, or null when none. */
  private async pay(running: Running): Promise<{ billing: BillingRef | null } | null> {
    const { starter: join, generation } = running
    // A request that missed the cache just before the last generation committed lands here.
    if (!join.replace && (await generation.store.lookup(join.key))) {
      generation.finish({ kind: 'cached' })
      return null
    }
    if (!join.payer) return { billing: null }
    const reservation = await reserve(this.env, join.payer)
    if (reservation.ok) return { billing: reservation.billing }
    // Nothing starts: the starter is refused, and whoever joined meanwhile starts afresh.
    if (this.running === running) this.running = null
    generation.finish({ kind: 'failed', failure: reservation.failure })
    running.decide(reservation.failure)
    return null
  }

  private async run(running: Running): Promise<void> {
    const { id, generation, writer, starter: join, decide } = running
    let billing: BillingRef | null = null
    let paid = false
    let money: Money = NO_MONEY
    /** The upstream that served it, for the log (the pool will name its serving entry here). */
    let calling = false // past payment: the owner's rows are written however it ends
    let upstreamName: string | null = null
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(), join.upstream.totalTimeoutMs)
    try {
      const payment = await this.pay(running)
      if (!payment) return
      billing = payment.billing
      decide(null)
      calling = true
      const called = Date.now()
      const opened = await openUpstream(this.env, {
        upstream: join.upstream,
        request: join.request,
        call: {
          prompt: join.request.prompt,
          payload: join.payload,
          open: (object) => openInput(this.env.IMAGES, object),
          signal: deadline.signal,
        },
        onQueued: () => generation.queued(),
      })
      upstreamName = opened.name
      generation.start({
        upstreamRequestId: opened.response.headers.get('x-request-id'),
        upstreamKind: opened.kind,
        upstreamName: opened.name,
        upstreamFirstByteMs: Date.now() - called,
      })
      await readOpened(opened, {
        idleMs: join.upstream.idleTimeoutMs,
        signal: deadline.signal,
        emit: (piece) => generation.publish(piece),
        afterChunk: () => both(writer.ready(), generation.ready()),
      })
      const meta = await writer.complete()
      money = await settle(this.env, billing, join.request, meta.usage, opened.kind)
      paid = true
      this.ended(id, null)
      generation.finish({ kind: 'done', meta })
    } catch (error) {
      await writer.discard(error).catch(() => {})
      const failure = failureOf(error, generation.started)
      this.ended(id, failure) // before the waiters hear of it, so they can ask
      generation.finish({ kind: 'failed', failure })
    } finally {
      clearTimeout(timer)
      decide(null) // a generation that ended before it was paid for: waiters see how it ended
      if (billing && !paid) {
        await refund(this.env, billing)
        money = { ...NO_MONEY, reservedMicros: billing.reservedMicros }
      }
      const ended = calling && { upstream: upstreamName, money }
      if (ended) this.background.add(logGeneration(this.env.USAGE, generation, running, ended))
      await releaseInputs(this.env.IMAGES, join.inputs, writer.inputsListed)
      if (this.running === running) this.running = null
      generation.whenIdle(() => this.background.add(writer.cleanup().catch(() => {})))
    }
  }
}

/** A promise for both waits, or the one there is, or null. */
function both(a: Promise<unknown> | null, b: Promise<unknown> | null): Promise<unknown> | null {
  if (a && b) return Promise.all([a, b]).then(() => {})
  return a ?? b
}
