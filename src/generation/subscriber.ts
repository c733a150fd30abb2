/**
 * One streaming answer on a generation, paced: live pieces through a queue bounded in bytes, then
 * the records for a reader that fell behind (after a grace) or joined late; a reader that takes
 * nothing is parked. Its bytes are its shape's renderer's; a cache hit is one on an ended generation.
 */
import { type Renderer, rendererOf, type StreamShape } from '../answer/renderers'
import { GatewayError } from '../errors'
import type { Piece } from '../result/pieces'
import { type ChunkRef, UNPOOLED } from '../stream/buffer-pool'
import { AnswerPipe } from './answer-pipe'
import { CatchUp, type CatchUpSink } from './catch-up'
import { liveStep } from './live-step'
import { Parking } from './parking'
import type { Head, SubscribedGeneration } from './subscription'
import type { Cursor, Outcome, Unit } from './units'

/** Bytes a live subscriber may have waiting unread before the owner waits for it. */
export const LAG_LIMIT_BYTES = 1024 * 1024
/** Past this a subscriber falls behind at once, without its grace (pieces pushed without pause). */
const HARD_LIMIT_BYTES = 4 * LAG_LIMIT_BYTES
/** A subscriber catching up is refilled once fewer than this many bytes wait. */
const REFILL_BYTES = 256 * 1024

export class Subscriber {
  readonly body: ReadableStream<Uint8Array>
  readonly head: Promise<Head>
  /** When this live subscriber went over LAG_LIMIT_BYTES unread (null: it is not). */
  overSince: number | null = null
  private settleHead!: (head: Head) => void
  private headSettled = false
  /** When the answer was handed to its reader (null: not yet, or never). */
  private answeredAt: number | null = null
  private readonly pipe: AnswerPipe
  private mode: 'live' | 'catch-up' | 'parked' = 'live'
  /** The unit being sent (-1: between units) and the offset of its next byte. */
  private unitSeq = -1
  private unitOffset = 0
  private catchingUp: CatchUp | null = null
  private readonly parking = new Parking()
  private detached = false
  private lastPush = Date.now()
  /** Writes the bytes of its answer's shape; this class only paces them. */
  private readonly renderer: Renderer

  constructor(
    private readonly gen: SubscribedGeneration<Subscriber>,
    shape: StreamShape,
    private readonly origin: string,
  ) {
    this.renderer = rendererOf(shape)
    this.head = new Promise((resolve) => {
      this.settleHead = resolve
    })
    this.pipe = new AnswerPipe({
      taken: () => {
        if (this.overSince !== null && this.pipe.queuedBytes <= LAG_LIMIT_BYTES) {
          this.overSince = null
          this.gen.drained()
        }
      },
      read: () => {
        if (this.mode === 'parked') this.catchUp(this.parking.at)
      },
      ended: () => {
        this.overSince = null
        this.detach()
      },
      wrote: (bytes) => this.gen.events?.wrote?.(this, bytes),
    })
    this.body = this.pipe.body
  }

  /** Bytes waiting unread. */
  get queuedBytes(): number {
    return this.pipe.queuedBytes
  }

  private get closed(): boolean {
    return this.pipe.closed
  }

  /** Starts the answer: live from the next event, or catching up on what happened already. */
  start(): void {
    this.push(this.renderer.opening, -1)
    if (this.gen.started || this.gen.answering) this.onStarted()
    if (this.gen.units.length > 0 || this.gen.outcome) this.catchUp({ seq: 0, offset: 0 })
  }

  onStarted(): void {
    if (this.renderer.events) this.answer()
  }

  /** Settles the head without an answer (a cached result, or a failure before any byte). */
  settle(head: Head): void {
    if (this.headSettled) return
    this.headSettled = true
    this.settleHead(head)
    if (head.kind === 'answer') this.answeredAt = Date.now()
    // No one will read this body: end it, or its first bytes would wait for a reader forever.
    else this.pipe.cut(new Error('the answer was not handed to a reader'))
  }

  /** A piece of the generation, as it happens. */
  onPiece(piece: Piece, unit: Unit | null): void {
    if (this.mode !== 'live' || this.closed || !unit) return
    const { renderer, origin } = this
    const inside = this.unitSeq === unit.seq
    const step = liveStep({ renderer, meta: this.gen.meta, origin, inside }, piece, unit)
    if (!step) return
    if (step.answer) this.answer()
    if (step.enter) this.enter(unit.seq)
    for (const bytes of step.bytes) this.push(bytes, unit.seq, step.ref)
    if (step.leave) this.unitSeq = -1
  }

  /** The generation ended. One catching up ends when it gets there. */
  onOutcome(outcome: Outcome): void {
    if (this.mode === 'live') this.end(outcome)
  }

  /** Sends a keep-alive comment if the stream is between events and has been quiet. */
  keepAlive(now: number, quietMs: number): void {
    const beat = this.renderer.keepAlive
    if (!beat || this.closed || this.mode === 'parked') return
    if (now - this.lastPush >= quietMs && this.unitSeq === -1) this.push(beat, -1)
  }

  /**
   * Its reader has taken nothing for `parkMs`: stop writing to it (parked), until it takes what
   * was written; after `cutMs`, end its answer cut off.
   */
  watch(now: number, parkMs: number, cutMs: number): void {
    if (this.answeredAt === null) return
    const stalled = Math.min(this.pipe.stalledFor(now), now - this.answeredAt)
    if (stalled >= cutMs) this.pipe.cut(new Error(`the reader took nothing for ${cutMs} ms`))
    else if (stalled >= parkMs) this.park()
  }

  private answer(): void {
    if (!this.headSettled) this.settle({ kind: 'answer', firstImage: null })
  }

  private enter(seq: number): void {
    this.unitSeq = seq
    this.unitOffset = 0
  }

  /** Queues bytes of unit `seq` (at the cursor) or, with -1, between units. */
  private push(
    bytes: Uint8Array | Promise<Uint8Array>,
    seq: number,
    ref: ChunkRef = UNPOOLED,
  ): void {
    if (this.closed) return
    const size = bytes instanceof Uint8Array ? bytes.length : 0
    this.pipe.add({ bytes, ref, size, seq, offset: seq >= 0 ? this.unitOffset : 0 })
    if (seq >= 0) this.unitOffset += size
    this.lastPush = Date.now()
    if (this.mode !== 'live' || seq < 0) return
    if (this.queuedBytes > LAG_LIMIT_BYTES) this.overSince ??= Date.now()
    if (this.queuedBytes > HARD_LIMIT_BYTES) this.fallBehind()
  }

  /**
   * Too much waited unread for too long: keep what is queued of the event it is reading, drop the
   * rest, and catch up from the records: the rest of that event (if it is still arriving), then
   * like a late joiner.
   */
  fallBehind(): void {
    if (this.mode !== 'live') return
    this.overSince = null
    const waiting = this.pipe.waiting
    const first = waiting.find((item) => item.seq >= 0)
    if (!first) return
    const keep = waiting.findIndex((item) => item.seq >= 0 && item.seq !== first.seq)
    if (keep >= 0) this.pipe.dropFrom(keep)
    this.gen.events?.fellBehind?.(this)
    // Still inside that event: it continues from the records where the queue ends.
    const inside = this.unitSeq === first.seq
    this.unitSeq = -1
    this.catchUp(
      inside ? { seq: first.seq, offset: this.unitOffset } : { seq: first.seq + 1, offset: 0 },
    )
  }

  /** Its reader took nothing for a while: nothing more is written until it takes again. */
  private park(): void {
    if (this.mode === 'parked') return
    const between = this.catchingUp?.next ?? this.gen.units.length
    const sending = { seq: this.unitSeq, offset: this.unitOffset }
    if (!this.parking.park(this.pipe, sending, between, this.gen.units)) return
    this.mode = 'parked'
    this.gen.events?.parked?.(this)
    this.catchingUp?.stop() // and with it, its read of the records
    this.catchingUp = null
    this.unitSeq = -1
    if (this.overSince !== null) {
      this.overSince = null
      this.gen.drained()
    }
  }

  /** Goes through the records from `from` (see CatchUp). */
  private catchUp(from: Cursor): void {
    this.mode = 'catch-up'
    const catchingUp = new CatchUp(this.sink(), from)
    this.catchingUp = catchingUp
    void catchingUp.run(() => {
      if (this.catchingUp === catchingUp) this.parking.letGo()
    })
  }

  /** What a catch-up writes into: this answer. */
  private sink(): CatchUpSink {
    const pipe = this.pipe
    return {
      gen: this.gen,
      renderer: this.renderer,
      origin: this.origin,
      get closed() {
        return pipe.closed
      },
      room: () => pipe.room(REFILL_BYTES),
      at: (seq, offset) => {
        this.unitSeq = seq
        this.unitOffset = offset
      },
      push: (bytes, ref) => this.push(bytes, this.unitSeq, ref),
      answer: () => this.answer(),
      end: (outcome) => this.end(outcome),
      fail: (error) => this.fail(error),
      live: () => {
        this.mode = 'live'
        this.catchingUp = null
      },
    }
  }

  private end(outcome: Outcome): void {
    if (outcome.kind === 'cached') {
      this.settle({ kind: 'cached' })
    } else if (outcome.kind === 'done') {
      const closing = this.renderer.closing(outcome.meta)
      if (closing) this.push(closing, -1)
      this.answer()
      this.close()
    } else if (!this.headSettled) {
      this.settle({ kind: 'failed', failure: outcome.failure })
    } else {
      // Inside an event or a JSON body, nothing can be added that a client would not misread.
      const frame = this.unitSeq === -1 ? this.renderer.failure(outcome.failure) : null
      if (!frame) {
        this.fail(new GatewayError(outcome.failure))
        return
      }
      this.push(frame, -1)
      this.close()
    }
  }

  private close(): void {
    this.pipe.close()
  }

  private fail(error: unknown): void {
    this.pipe.close(error)
  }

  private detach(): void {
    if (this.detached) return
    this.detached = true
    this.parking.letGo()
    this.gen.detach(this)
  }
}
