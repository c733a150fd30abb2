/**
 * Reads an upstream body in large pooled chunks (a BYOB reader takes up to 256 KiB per read, not
 * 4 KB pieces) under an idle and a total deadline, with one timer per read loop.
 */

import {
  BLOCK_BYTES,
  type ChunkRef,
  giveBuffer,
  PooledChunk,
  takeBuffer,
  UNPOOLED,
} from './buffer-pool'

export class UpstreamStalledError extends Error {
  constructor(readonly idleMs: number) {
    super(`no complete event from the upstream for ${idleMs} ms`)
    this.name = 'UpstreamStalledError'
  }
}

export class UpstreamDeadlineError extends Error {
  constructor() {
    super('the generation took longer than its total deadline')
    this.name = 'UpstreamDeadlineError'
  }
}

/** Reads smaller than this are copied out, so a trickle of small reads pins no pooled buffers. */
const SMALL_READ = BLOCK_BYTES / 4

/** Bytes read, and who may still read them. */
export interface Chunk {
  bytes: Uint8Array
  ref: ChunkRef
}

export interface ChunkReaderOptions {
  /** A complete event must arrive within this many ms of the last one (or of the start). */
  idleMs: number
  /** Aborts the read (the generation's total deadline). */
  signal?: AbortSignal
}

/**
 * A chunk comes with a ref: whoever keeps a view of it past the loop's turn retains it. The idle
 * deadline is reset by `progress()`, which the caller calls on each complete event (bytes or
 * comments trickling in are no progress); the total deadline comes as an AbortSignal. When either
 * passes, the body is cancelled and the loop throws.
 */
export class ChunkReader {
  private lastProgress = Date.now()
  private failure: Error | null = null
  private readonly reads: LargeReads

  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly options: ChunkReaderOptions,
  ) {
    this.reads = new LargeReads(body)
  }

  /** A complete event arrived: the idle deadline starts again. */
  progress(): void {
    this.lastProgress = Date.now()
  }

  /**
   * The body's chunks, in order. A chunk's ref is released when the loop asks for the next one:
   * retain it to keep a view longer. Stopping early cancels the body.
   */
  async *chunks(): AsyncGenerator<Chunk> {
    const { idleMs, signal } = this.options
    let timer: ReturnType<typeof setTimeout> | undefined
    const check = () => {
      const idle = Date.now() - this.lastProgress
      if (idle >= idleMs) this.stop(new UpstreamStalledError(idleMs))
      else timer = setTimeout(check, idleMs - idle)
    }
    timer = setTimeout(check, idleMs)
    const onAbort = () => this.stop(new UpstreamDeadlineError())
    signal?.addEventListener('abort', onAbort)
    let finished = false
    try {
      if (signal?.aborted) throw new UpstreamDeadlineError()
      for (;;) {
        const chunk = await this.reads.read()
        if (this.failure) {
          chunk?.ref.release()
          throw this.failure
        }
        if (chunk === null) break
        try {
          yield chunk
        } finally {
          chunk.ref.release()
        }
      }
      finished = true
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      if (!finished) await this.reads.cancel()
    }
  }

  private stop(failure: Error): void {
    if (this.failure) return
    this.failure = failure
    void this.reads.cancel(failure)
  }
}

/**
 * How a body is read: `min` bytes at least per read where it is a byte stream (fewer, larger
 * chunks); `keepSmall` keeps small reads in their pooled buffer instead of copying them out (for
 * readers that release every chunk before the next read).
 */
interface ReadOptions {
  min?: number
  keepSmall?: boolean
}

/** Reads a body in large chunks: BYOB where the body is a byte stream, as it comes otherwise. */
class LargeReads {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader
  private readonly byob: boolean

  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly options: ReadOptions = {},
  ) {
    let reader: ReadableStreamBYOBReader | null = null
    try {
      reader = body.getReader({ mode: 'byob' })
    } catch {
      // A stream made in JavaScript (the demo, tests) is not a byte stream: read it as it comes.
    }
    this.byob = reader !== null
    this.reader = reader ?? body.getReader()
  }

  /** The next chunk, or null at the end. */
  async read(): Promise<Chunk | null> {
    if (!this.byob) {
      const { done, value } = await (this.reader as ReadableStreamDefaultReader<Uint8Array>).read()
      return done ? null : { bytes: value, ref: UNPOOLED }
    }
    const { min, keepSmall } = this.options
    const reader = this.reader as ReadableStreamBYOBReader
    const view = new Uint8Array(takeBuffer())
    // readAtLeast: workerd's form of the standard `read(view, { min })`.
    const result = await (min ? reader.readAtLeast(min, view) : reader.read(view))
    const value = result.value as Uint8Array | undefined
    if (result.done || !value) {
      if (value) giveBuffer(value.buffer)
      return null
    }
    if (keepSmall || value.length >= SMALL_READ) {
      return { bytes: value, ref: new PooledChunk(value.buffer) }
    }
    const copy = value.slice()
    giveBuffer(value.buffer)
    return { bytes: copy, ref: UNPOOLED }
  }

  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason).catch(() => {})
  }
}

/** Bytes a request-body read waits for (unless the body ends first): 128 KiB. */
const UPLOAD_READ = BLOCK_BYTES / 2

/**
 * A body's chunks, read large (at least 128 KiB where it can be) into pooled buffers (request
 * bodies, fetched pictures): a chunk's bytes are valid until the loop asks for the next one, so
 * none is copied. When `signal` aborts, the body is cancelled and the loop throws its reason.
 * Stopping early cancels the body.
 */
export async function* pooledChunks(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<Chunk> {
  const reads = new LargeReads(body, { min: UPLOAD_READ, keepSmall: true })
  const onAbort = () => void reads.cancel(signal?.reason)
  signal?.addEventListener('abort', onAbort)
  let finished = false
  try {
    for (;;) {
      signal?.throwIfAborted()
      const chunk = await reads.read()
      if (signal?.aborted) chunk?.ref.release()
      signal?.throwIfAborted()
      if (chunk === null) break
      try {
        yield chunk
      } finally {
        chunk.ref.release()
      }
    }
    finished = true
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (!finished) await reads.cancel()
  }
}

/**
 * A body's chunks, read large, without deadlines (R2 objects), as copies the caller may keep.
 * Stopping early cancels the body.
 */
export async function* largeChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reads = new LargeReads(body)
  let finished = false
  try {
    for (let chunk = await reads.read(); chunk !== null; chunk = await reads.read()) {
      const copy = chunk.ref === UNPOOLED ? chunk.bytes : chunk.bytes.slice()
      chunk.ref.release()
      yield copy
    }
    finished = true
  } finally {
    if (!finished) await reads.cancel()
  }
}
