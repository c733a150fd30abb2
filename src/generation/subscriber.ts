/**
 * One request waiting on a generation, with a streaming answer (SSE, or base64 JSON). Its bytes
 * go through a queue bounded in bytes: live, it gets each piece as the upstream sends it (shared,
 * never copied). While more than LAG_LIMIT_BYTES wait unread the owner pauses reading the
 * upstream for it, but only for a short grace: a reader still behind then drops what waits and
 * continues like a late joiner (the rest of the event it was in, the newest partial image, every
 * finished image read back from R2, then live again at the next event boundary). So a slow or
 * stuck reader holds neither memory nor the generation.
 */

import { imageHead, imageLinkFrame, imageTail } from '../answer/image-bytes'
import { JSON_OPENING, jsonClosing } from '../answer/json'
import { type AnswerShape, showsBase64, showsFrames } from '../answer/shapes'
import { errorFrame, KEEPALIVE } from '../answer/sse'
import { GatewayError } from '../errors'
import type { Piece } from '../result/pieces'
import { type ChunkRef, UNPOOLED } from '../stream/buffer-pool'
import { AnswerPipe } from './answer-pipe'
import { recordedBytes } from './recorded'
import type { Outcome, Unit } from './units'
import type { GenerationView, Head } from './view'

/** Bytes a live subscriber may have waiting unread before the owner waits for it. */
export const LAG_LIMIT_BYTES = 1024 * 1024
/** Past this a subscriber falls behind at once, without its grace (pieces pushed without pause). */
const HARD_LIMIT_BYTES = 4 * LAG_LIMIT_BYTES
/** A subscriber catching up is refilled once fewer than this many bytes wait. */
const REFILL_BYTES = 256 * 1024

class Closed extends Error {}

export class Subscriber {
  readonly body: ReadableStream<Uint8Array>
  readonly head: Promise<Head>
  /** How often this subscriber fell behind (tests and logs). */
  fellBehind = 0
  /** When this live subscriber went over LAG_LIMIT_BYTES unread (null: it is not). */
  overSince: number | null = null
  private settleHead!: (head: Head) => void
  private headSettled = false
  private readonly pipe: AnswerPipe
  private mode: 'live' | 'catch-up' = 'live'
  private unitSeq = -1
  private unitOffset = 0
  private rendering = false
  private detached = false
  private lastPush = Date.now()

  constructor(
    private readonly gen: GenerationView<Subscriber>,
    readonly shape: AnswerShape,
    private readonly origin: string,
  ) {
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
      ended: () => {
        this.overSince = null
        this.detach()
      },
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
    if (showsFrames(this.shape)) this.push(KEEPALIVE, -1)
    if (this.shape === 'json') this.push(JSON_OPENING, -1)
    if (this.gen.started) this.onStarted()
    if (this.gen.units.length > 0 || this.gen.outcome) {
      this.mode = 'catch-up'
      void this.catchUp(null)
    }
  }

  onStarted(): void {
    if (showsFrames(this.shape)) this.answer()
  }

  /** Settles the head without an answer (a cached result, or a failure before any byte). */
  settle(head: Head): void {
    if (this.headSettled) return
    this.headSettled = true
    this.settleHead(head)
    if (head.kind !== 'answer') this.close()
  }

  /** A piece of the generation, as it happens. */
  onPiece(piece: Piece, unit: Unit | null): void {
    if (this.mode !== 'live' || this.closed || !unit) return
    switch (piece.kind) {
      case 'frame-begin':
        if (showsFrames(this.shape)) this.enter(unit.seq)
        return
      case 'frame-bytes':
        if (this.unitSeq === unit.seq) this.push(piece.bytes, unit.seq, piece.ref)
        return
      case 'frame-end':
        if (this.unitSeq === unit.seq) this.unitSeq = -1
        return
      case 'image-begin': {
        if (unit.kind !== 'image') return
        this.answer()
        this.enter(unit.seq)
        const head = imageHead(this.shape, unit.view)
        if (head) this.push(head, unit.seq)
        return
      }
      case 'base64':
        if (this.unitSeq === unit.seq && showsBase64(this.shape)) {
          this.push(piece.bytes, unit.seq, piece.ref)
        }
        return
      case 'image-end': {
        if (this.unitSeq !== unit.seq || unit.kind !== 'image') return
        const tail = imageTail(this.shape, unit.view, this.gen.meta)
        if (tail) this.push(tail, unit.seq)
        if (this.shape === 'sse-url' && this.mode === 'live') {
          const frame = unit.stored.then((image) =>
            imageLinkFrame(unit.view, this.gen.meta, this.origin, image),
          )
          frame.catch(() => {}) // the pump reports it, if it is still there to
          this.push(frame, unit.seq)
        }
        if (this.mode === 'live') this.unitSeq = -1
        return
      }
    }
  }

  /** The generation ended. One catching up ends when it gets there. */
  onOutcome(outcome: Outcome): void {
    if (this.mode === 'live') this.end(outcome)
  }

  /** Sends a keep-alive comment if the stream is between events and has been quiet. */
  keepAlive(now: number, quietMs: number): void {
    if (!showsFrames(this.shape) || this.closed || now - this.lastPush < quietMs) return
    const between = this.mode === 'live' ? this.unitSeq === -1 : !this.rendering
    if (between) this.push(KEEPALIVE, -1)
  }

  private answer(): void {
    if (!this.headSettled) this.settle({ kind: 'answer', firstImage: null })
  }

  private enter(seq: number): void {
    this.unitSeq = seq
    this.unitOffset = 0
  }

  private push(
    bytes: Uint8Array | Promise<Uint8Array>,
    seq: number,
    ref: ChunkRef = UNPOOLED,
  ): void {
    if (this.closed) return
    const size = bytes instanceof Uint8Array ? bytes.length : 0
    const live = this.mode === 'live' && seq >= 0
    this.pipe.add({ bytes, ref, size, seq, offset: live ? this.unitOffset : 0 })
    if (live) this.unitOffset += size
    this.lastPush = Date.now()
    if (live && this.queuedBytes > LAG_LIMIT_BYTES) this.overSince ??= Date.now()
    if (live && this.queuedBytes > HARD_LIMIT_BYTES) this.fallBehind()
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
    this.fellBehind++
    this.mode = 'catch-up'
    // Still inside that event: it continues from the records where the queue ends.
    const inside = this.unitSeq === first.seq
    const resume = inside ? { seq: first.seq, offset: this.unitOffset } : null
    this.unitSeq = -1
    void this.catchUp(resume, inside ? first.seq : first.seq + 1)
  }

  private async catchUp(resume: { seq: number; offset: number } | null, from = 0): Promise<void> {
    try {
      let next = from
      if (resume) {
        await this.render(this.gen.units[resume.seq] as Unit, resume.offset)
        next = resume.seq + 1
      }
      while (!this.closed) {
        const units = this.gen.units
        const unit = units[next]
        if (unit?.ended) {
          // Every image; of the other events only the newest, if nothing came after it.
          if (unit.kind === 'image' || unit === units[units.length - 1]) await this.render(unit, 0)
          next++
        } else if (this.gen.outcome) {
          this.end(this.gen.outcome)
          return
        } else if (unit) {
          await this.gen.changed() // an event in progress: take it whole once it has ended
        } else {
          this.mode = 'live' // between events with nothing left to catch up on
          return
        }
      }
    } catch (error) {
      if (!(error instanceof Closed)) this.fail(error)
    }
  }

  /** A recorded unit, from byte `offset` of what it would have sent live. */
  private async render(unit: Unit, offset: number): Promise<void> {
    this.rendering = true
    try {
      const source = { store: this.gen.store, meta: this.gen.meta, origin: this.origin }
      const answer = () => this.answer()
      for await (const { bytes, ref } of recordedBytes(unit, offset, this.shape, source, answer)) {
        await this.pushPaced(bytes, ref)
      }
    } finally {
      this.rendering = false
    }
  }

  /** Adds catch-up bytes once the reader has taken most of what waits. */
  private async pushPaced(bytes: Uint8Array, ref: ChunkRef = UNPOOLED): Promise<void> {
    if (!(await this.pipe.room(REFILL_BYTES))) throw new Closed()
    this.push(bytes, -1, ref)
  }

  private end(outcome: Outcome): void {
    if (outcome.kind === 'cached') {
      this.settle({ kind: 'cached' })
    } else if (outcome.kind === 'done') {
      if (this.shape === 'json') this.push(jsonClosing(outcome.meta), -1)
      this.answer()
      this.close()
    } else if (!this.headSettled) {
      this.settle({ kind: 'failed', failure: outcome.failure })
    } else if (showsFrames(this.shape) && this.unitSeq === -1 && !this.rendering) {
      this.push(errorFrame(outcome.failure), -1)
      this.close()
    } else {
      // Inside an event or a JSON body: nothing can be added that a client would not misread.
      this.fail(new GatewayError(outcome.failure))
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
    this.gen.detach(this)
  }
}
