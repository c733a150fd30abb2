/**
 * Fixed-size buffers (256 KiB) reused for the bytes that stream through the generation's owner,
 * so they never become garbage (V8 collects ArrayBuffers only after tens of MB pile up).
 */

export const BLOCK_BYTES = 256 * 1024
/** Idle buffers kept for reuse, per isolate: 8 MiB. */
const KEEP = 32

const free: ArrayBuffer[] = []

/** A buffer of BLOCK_BYTES, reused if one is free. */
export function takeBuffer(): ArrayBuffer {
  return free.pop() ?? new ArrayBuffer(BLOCK_BYTES)
}

/**
 * Returns a buffer nothing reads any more: a refcount decides for upstream chunks, a finished write
 * for R2 parts.
 */
export function giveBuffer(buffer: ArrayBufferLike): void {
  if (buffer.byteLength !== BLOCK_BYTES || (buffer as ArrayBuffer).detached) return
  if (free.length < KEEP) free.push(buffer as ArrayBuffer)
}

/** Who may still read a chunk's bytes: each holder retains it, and releases it when done. */
export interface ChunkRef {
  retain(): void
  release(): void
}

/** For bytes that are not pooled (small copies): the garbage collector looks after them. */
export const UNPOOLED: ChunkRef = { retain() {}, release() {} }

/** A pooled buffer shared by the views of one chunk; back to the pool once all let go. */
export class PooledChunk implements ChunkRef {
  private refs = 1

  constructor(private readonly buffer: ArrayBufferLike) {}

  retain(): void {
    this.refs++
  }

  release(): void {
    if (--this.refs === 0) giveBuffer(this.buffer)
  }
}
