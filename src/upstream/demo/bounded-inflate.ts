/**
 * zlib data inflated within a byte budget by fflate's streaming Unzlib. fflate inflates a whole
 * push at once, so input goes in slices that cannot inflate past what is left of the budget (or
 * about a MiB): deflate expands at most 1032:1. Output beyond the budget is refused.
 */
import { Unzlib } from 'fflate'

/** Deflate's largest expansion: a 258-byte match in two bits. */
const MAX_RATIO = 1032
/**
 * Compressed bytes per push: small enough that one never inflates to more than ~1 MiB past the
 * budget, or 8 MiB in all; large enough that fflate's fixed cost per push (it grows a 160 KiB
 * buffer) stays small beside the data.
 */
const MIN_SLICE = 1024
const MAX_SLICE = 8 * 1024
/**
 * Compressed bytes that may pass without any output: a stored block (64 KiB) waits whole before
 * it yields. More is not deflate data making a picture, and fflate would copy it on every push.
 */
const MAX_SILENT_BYTES = 128 * 1024

const EMPTY = new Uint8Array(0)

/** Why the data cannot be inflated: it would pass the budget, or it is not whole zlib data. */
export class InflateError extends Error {
  constructor(readonly reason: 'over-budget' | 'corrupt') {
    super(reason === 'over-budget' ? 'inflates past its budget' : 'is not whole zlib data')
  }
}

export class BoundedInflate {
  private readonly unzlib: Unzlib
  private total = 0
  private silent = 0
  /** What the output's handler threw, passed on as it is (anything else fflate throws: corrupt). */
  private thrown: unknown = null

  /** `onData` gets the output in order; `limit` bytes in all at the most. */
  constructor(
    readonly limit: number,
    onData: (chunk: Uint8Array) => void,
  ) {
    this.unzlib = new Unzlib((chunk) => {
      if (chunk.length === 0) return
      this.total += chunk.length
      try {
        if (this.total > limit) throw new InflateError('over-budget')
        this.silent = 0
        onData(chunk)
      } catch (error) {
        this.thrown = error
        throw error
      }
    })
  }

  /** Bytes inflated so far. */
  get inflated(): number {
    return this.total
  }

  /** Whether all `limit` bytes are out: the input that follows is not read. */
  get full(): boolean {
    return this.total === this.limit
  }

  /** Inflates the next compressed bytes; throws an InflateError. */
  push(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length && !this.full; ) {
      const size = Math.floor((this.limit - this.total) / MAX_RATIO)
      const slice = bytes.subarray(at, at + Math.min(MAX_SLICE, Math.max(MIN_SLICE, size)))
      at += slice.length
      this.silent += slice.length
      this.step(slice, false)
      if (this.silent > MAX_SILENT_BYTES) throw new InflateError('corrupt')
    }
  }

  /** The compressed data ended: throws an InflateError when the zlib stream is cut short. */
  finish(): void {
    if (!this.full) this.step(EMPTY, true)
  }

  private step(slice: Uint8Array, final: boolean): void {
    try {
      this.unzlib.push(slice, final)
    } catch (error) {
      throw error === this.thrown ? error : new InflateError('corrupt')
    }
  }
}
