/**
 * zlib data inflated within a byte budget by pako, whose streaming Inflate hands its output on in
 * chunks of a fixed size however much input it is given: output past the budget is refused at the
 * chunk that passes it. (fflate, which fast-png uses, inflates each push whole before handing on.)
 */
import { Inflate } from 'pako'

/** Output bytes per chunk: what inflating holds at a time besides its 32 KiB window. */
const CHUNK_BYTES = 64 * 1024

const EMPTY = new Uint8Array(0)

/** Why the data cannot be inflated: it would pass the budget, or it is not whole zlib data. */
export class InflateError extends Error {
  constructor(readonly reason: 'over-budget' | 'corrupt') {
    super(reason === 'over-budget' ? 'inflates past its budget' : 'is not whole zlib data')
  }
}

export class BoundedInflate {
  // zlib data only (windowBits 15 turns off pako's gzip detection).
  private readonly inflate = new Inflate({ chunkSize: CHUNK_BYTES, windowBits: 15 })
  private total = 0

  /** `onData` gets the output in order, `limit` bytes in all at the most; what it throws is passed on. */
  constructor(
    readonly limit: number,
    onData: (chunk: Uint8Array) => void,
  ) {
    this.inflate.onData = (chunk) => {
      this.total += chunk.length
      if (this.total > limit) throw new InflateError('over-budget')
      onData(chunk)
    }
  }

  /** Bytes inflated so far. */
  get inflated(): number {
    return this.total
  }

  /** Whether all `limit` bytes are out. */
  get full(): boolean {
    return this.total === this.limit
  }

  /** Inflates the next compressed bytes (nothing once the stream has ended); throws an InflateError. */
  push(bytes: Uint8Array): void {
    this.inflate.push(bytes, false)
    if (this.inflate.err) throw new InflateError('corrupt')
  }

  /**
   * The compressed data ended: throws an InflateError when the stream is cut short or its checksum
   * is wrong. Once all `limit` bytes are out, a missing end (or checksum) is forgiven.
   */
  finish(): void {
    if (this.full && !this.inflate.ended) return
    this.inflate.push(EMPTY, true)
    if (this.inflate.err) throw new InflateError('corrupt')
  }
}
