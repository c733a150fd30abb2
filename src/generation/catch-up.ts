/**
 * A subscriber going through its generation's records instead of live pieces: the rest of a unit
 * it was inside, then like a late joiner (every image, the newest other event), then live again.
 * Bytes are added once its reader has taken most of what waits; stopped when the reader parks.
 */
import type { Renderer } from '../answer/renderers'
import type { ChunkRef } from '../stream/buffer-pool'
import { holdRecord } from './parking'
import { recordedBytes } from './recorded'
import type { SubscribedGeneration } from './subscription'
import type { Cursor, Outcome, Unit } from './units'

/** The subscriber a catch-up writes for. */
export interface CatchUpSink {
  readonly gen: SubscribedGeneration<unknown>
  readonly renderer: Renderer
  readonly origin: string
  /** The answer has ended (or its reader left). */
  readonly closed: boolean
  /** Resolves once few bytes wait unread (true), or once the answer has closed (false). */
  room(): Promise<boolean>
  /** Unit `seq` is sent from byte `offset` on (-1: between units). */
  at(seq: number, offset: number): void
  /** Adds bytes of the unit being sent. */
  push(bytes: Uint8Array, ref: ChunkRef): void
  /** The first image is there: the answer begins (JSON answers wait for it). */
  answer(): void
  end(outcome: Outcome): void
  fail(error: unknown): void
  /** Nothing is left to catch up on: live again from the next event. */
  live(): void
}

class Stopped extends Error {}

export class CatchUp {
  /** The next unit it looks at. */
  next: number
  private stopped = false
  /** The record of the frame begun, kept readable until its rest is sent. */
  private readonly held: Promise<ChunkRef | null> | null = null

  /** From `from`: a unit begun (offset > 0) is finished, whatever came after it. */
  constructor(
    private readonly sink: CatchUpSink,
    private readonly from: Cursor,
  ) {
    this.next = from.seq
    const begun = from.offset > 0 ? sink.gen.units[from.seq] : undefined
    if (begun?.kind === 'frame') this.held = holdRecord(begun)
  }

  /** Adds nothing more (its reader parked). */
  stop(): void {
    this.stopped = true
  }

  private get going(): boolean {
    return !this.stopped && !this.sink.closed
  }

  /** Runs to the live edge or the end; `begunDone` runs once the unit begun has been sent. */
  async run(begunDone: () => void = () => {}): Promise<void> {
    const { sink } = this
    try {
      if (this.from.offset > 0) {
        try {
          await this.render(sink.gen.units[this.from.seq] as Unit, this.from.offset)
        } finally {
          void this.held?.then((ref) => ref?.release())
        }
        begunDone()
        this.next++
      }
      while (this.going) {
        const units = sink.gen.units
        const unit = units[this.next]
        if (unit?.ended) {
          // Every image; of the other events only the newest, if nothing came after it.
          if (unit.kind === 'image' || unit === units[units.length - 1]) await this.render(unit, 0)
          this.next++
        } else if (sink.gen.outcome) {
          sink.end(sink.gen.outcome)
          return
        } else if (unit) {
          await sink.gen.changed() // an event in progress: take it whole once it has ended
        } else {
          sink.live() // between events with nothing left to catch up on
          return
        }
      }
    } catch (error) {
      if (this.going) sink.fail(error)
    }
  }

  /**
   * A recorded unit, from byte `offset` of what it would have sent live. Each piece is read once
   * its reader has room for it, so one that takes nothing opens no read of the records.
   */
  private async render(unit: Unit, offset: number): Promise<void> {
    const { sink } = this
    sink.at(unit.seq, offset)
    const source = { store: sink.gen.store, meta: sink.gen.meta, origin: sink.origin }
    const pieces = recordedBytes(unit, offset, sink.renderer, source, () => sink.answer())
    try {
      for (;;) {
        if (!(await sink.room()) || !this.going) throw new Stopped()
        const piece = await pieces.next()
        if (piece.done) break
        if (!this.going) throw new Stopped()
        sink.push(piece.value.bytes, piece.value.ref)
      }
    } finally {
      await pieces.return(undefined) // lets go of its read, if it stopped before the end
    }
    if (!this.going) throw new Stopped() // stopped as it ended: where it stood is the next unit
    sink.at(-1, 0)
  }
}
