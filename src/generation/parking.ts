/**
 * A parked answer (its reader took nothing for a while, so nothing more is written to it): what of
 * its queue is dropped, where it resumes from the records, and the frame it stood in, kept for it.
 */
import type { ChunkRef } from '../stream/buffer-pool'
import type { AnswerPipe, QueuedBytes } from './answer-pipe'
import type { Cursor, FrameUnit, Unit } from './units'

export class Parking {
  /** Where it resumes. */
  at: Cursor = { seq: 0, offset: 0 }
  private held: Promise<ChunkRef | null> | null = null

  /**
   * Drops what waits unwritten in `pipe` and remembers where the answer stands; its ending, if
   * queued, goes too (made again when a catch-up gets there). False: nothing to hold back.
   */
  park(pipe: AnswerPipe, sending: Cursor, between: number, units: readonly Unit[]): boolean {
    const waiting = pipe.waiting
    if (pipe.failed || (pipe.closed && !waiting.some((item) => item.seq >= 0))) return false
    const point = parkingPoint(waiting, sending, between, units)
    if (point.drop >= 0) pipe.dropFrom(point.drop)
    pipe.reopen()
    this.letGo()
    this.held = point.held
    this.at = point.at
    return true
  }

  /** Lets go of the record it needed (its rest was sent, or its reader left). */
  letGo(): void {
    const held = this.held
    this.held = null
    void held?.then((ref) => ref?.release())
  }
}

export interface ParkingPoint {
  /** Queued items from this index on are dropped (-1: none). */
  drop: number
  at: Cursor
  /** The frame's record, kept for the reader (release it once the rest is sent). */
  held: Promise<ChunkRef | null> | null
}

/**
 * `waiting` is the queue; `sending` the unit being sent and the offset of its next byte (seq -1:
 * between units, before unit `between`).
 */
export function parkingPoint(
  waiting: readonly QueuedBytes[],
  sending: Cursor,
  between: number,
  units: readonly Unit[],
): ParkingPoint {
  let drop = waiting.findIndex((item) => item.seq >= 0)
  const first = waiting[drop]
  let at: Cursor = first
    ? { seq: first.seq, offset: first.offset }
    : sending.seq >= 0
      ? sending
      : { seq: between, offset: 0 }
  const unit = units[at.seq]
  let held: Promise<ChunkRef | null> | null = null
  if (at.offset > 0 && unit?.kind === 'frame') {
    held = holdRecord(unit)
    if (!held) {
      // Let go already (a later frame ended too): all of its rest is queued, so that stays.
      drop = waiting.findIndex((item) => item.seq > at.seq)
      at = { seq: at.seq + 1, offset: 0 }
    }
  }
  return { drop, at, held }
}

/**
 * Keeps a frame's record readable for a reader that has part of it (release the ref once it has
 * the rest); null when it was let go already.
 */
export function holdRecord(unit: FrameUnit): Promise<ChunkRef | null> | null {
  if (!unit.frame) {
    const held = unit.spill.then((frame) => frame.hold()) // the newest once it ends
    held.catch(() => {})
    return held
  }
  const ref = unit.frame.hold()
  return ref ? Promise.resolve(ref) : null
}
