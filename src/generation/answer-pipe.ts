/**
 * A subscriber's answer on its way to the client: an ordered, bounded queue of byte chunks written
 * into a native pipe the worker hands to its client untouched.
 */
import type { ChunkRef } from '../stream/buffer-pool'

/** Bytes written to the client's pipe but not yet taken by its reader. */
export const WRITES_IN_FLIGHT = 512 * 1024

/** Queued bytes and where they belong in the answer. */
export interface QueuedBytes {
  bytes: Uint8Array | Promise<Uint8Array>
  /** Released once the bytes are written (or dropped). */
  ref: ChunkRef
  /** 0 while the bytes are still a promise. */
  size: number
  /** The unit these bytes belong to (-1: between units), and where in it they start. */
  seq: number
  offset: number
}

/** What the pipe tells its subscriber. */
export interface PipeEvents {
  /** A chunk left the queue for the client's pipe. */
  taken(): void
  /** The reader took a chunk written earlier. */
  read(): void
  /** The pipe is done: closed, aborted, or its reader left. */
  ended(): void
  /** `bytes` were written into the client's pipe. */
  wrote?(bytes: number): void
}

/**
 * Only moves bytes: keeps a window of writes in flight so chunks flow back to back, releases each
 * pooled chunk once its reader has it, and tells how long its reader has taken nothing (stalled).
 * Its subscriber bounds the queue by watching `queuedBytes`.
 */
export class AnswerPipe {
  readonly body: ReadableStream<Uint8Array>
  private readonly queue: QueuedBytes[] = []
  private queued = 0
  private isClosed = false
  private streamError: unknown = null
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>
  private wakePump: (() => void) | null = null
  private wakeRoom: (() => void) | null = null
  /** Writes the reader has not taken yet, and when it last took one (or they began to wait). */
  private unread = 0
  private readAt = 0

  constructor(private readonly events: PipeEvents) {
    // A native pipe: a write resolves once the reader has the bytes, so a pooled buffer can be
    // released then, and the worker can hand the readable side to its client untouched.
    const { readable, writable } = new IdentityTransformStream()
    this.body = readable
    this.writer = writable.getWriter()
    void this.pump()
  }

  /** Bytes waiting unread. */
  get queuedBytes(): number {
    return this.queued
  }

  /** Closed: nothing more is taken (what is queued is still written, unless dropped). */
  get closed(): boolean {
    return this.isClosed
  }

  /** Closed with an error: the answer ends cut off. */
  get failed(): boolean {
    return this.streamError !== null
  }

  /** How long until `now` written bytes have waited, the reader taking none (0: none wait). */
  stalledFor(now: number): number {
    return this.unread > 0 ? now - this.readAt : 0
  }

  /** What waits, oldest first. */
  get waiting(): readonly QueuedBytes[] {
    return this.queue
  }

  /** Queues bytes (retaining their chunk until written); ignored once closed. */
  add(item: QueuedBytes): void {
    if (this.isClosed) return
    item.ref.retain()
    this.queue.push(item)
    this.queued += item.size
    this.wake('pump')
  }

  /** Drops what waits from position `index` on. */
  dropFrom(index: number): void {
    for (const item of this.queue.splice(index)) item.ref.release()
    this.queued = this.queue.reduce((sum, item) => sum + item.size, 0)
    this.wake('room')
  }

  /** Resolves once at most `bytes` wait unread (true), or the pipe closed (false). */
  async room(bytes: number): Promise<boolean> {
    while (this.queued > bytes && !this.isClosed) {
      await new Promise<void>((resolve) => {
        this.wakeRoom = resolve
      })
    }
    return !this.isClosed
  }

  /** Ends the answer after what is queued: cleanly, or aborted with `error`. */
  close(error: unknown = null): void {
    this.streamError ??= error
    this.isClosed = true
    this.wake('pump')
    this.wake('room')
  }

  /** Takes back a clean close whose closing bytes were dropped: its subscriber adds them again. */
  reopen(): void {
    if (!this.failed) this.isClosed = false
  }

  /** Ends the answer at once, cut off with `error`, whatever is queued or waits to be read. */
  cut(error: unknown): void {
    this.close(error)
    this.dropFrom(0)
    this.writer.abort(error).catch(() => {})
  }

  /** Closes and drops everything queued (the client left). */
  private cancel(): void {
    this.close()
    this.dropFrom(0)
  }

  /**
   * Writes the queue to the client's pipe, in order, with up to WRITES_IN_FLIGHT bytes written but
   * not yet taken by the reader (so chunks flow back to back); each chunk is released once taken.
   * An item stays queued until its bytes are made, so whatever has not been written can be dropped.
   */
  private async pump(): Promise<void> {
    const inFlight: { done: Promise<void>; size: number; ref: ChunkRef }[] = []
    let inFlightBytes = 0
    const settleOldest = async () => {
      const oldest = inFlight.shift()
      if (!oldest) return
      try {
        await oldest.done
      } finally {
        inFlightBytes -= oldest.size
        oldest.ref.release()
      }
    }
    try {
      for (;;) {
        const item = this.queue[0]
        if (item) {
          const bytes = await this.settled(item)
          if (this.queue[0] !== item) continue // dropped while it was being made
          this.queue.shift()
          this.queued -= item.size
          this.wake('room')
          this.events.taken()
          inFlight.push({ done: this.write(bytes), size: bytes.length, ref: item.ref })
          inFlightBytes += bytes.length
          while (inFlightBytes > WRITES_IN_FLIGHT) await settleOldest()
          continue
        }
        if (inFlight.length > 0) {
          await settleOldest() // the reader is catching up; the queue may refill meanwhile
          continue
        }
        if (this.isClosed) break
        await new Promise<void>((resolve) => {
          this.wakePump = resolve
        })
      }
      if (this.streamError) await this.writer.abort(this.streamError)
      else await this.writer.close()
    } catch (error) {
      // The reader left (a write failed), or a chunk could not be made: stop, and say so.
      for (const write of inFlight.splice(0)) {
        write.done.catch(() => {})
        write.ref.release()
      }
      this.cancel()
      await this.writer.abort(error).catch(() => {})
    } finally {
      this.events.ended()
    }
  }

  /** Writes bytes into the client's pipe, noting when the reader takes them. */
  private write(bytes: Uint8Array): Promise<void> {
    if (this.unread === 0) this.readAt = Date.now()
    this.unread++
    this.events.wrote?.(bytes.length)
    const done = this.writer.write(bytes)
    done.then(
      () => {
        this.unread--
        this.readAt = Date.now()
        this.events.read()
      },
      () => {},
    )
    return done
  }

  /** An item's bytes, once made; a failure counts only while the item is still queued. */
  private async settled(item: QueuedBytes): Promise<Uint8Array> {
    try {
      return await item.bytes
    } catch (error) {
      if (this.queue[0] !== item) return new Uint8Array(0) // dropped: its bytes are not wanted
      throw error
    }
  }

  private wake(which: 'pump' | 'room'): void {
    const wake = which === 'pump' ? this.wakePump : this.wakeRoom
    if (which === 'pump') this.wakePump = null
    else this.wakeRoom = null
    wake?.()
  }
}
