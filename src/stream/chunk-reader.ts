/**
 * Reads an upstream body in large chunks under two deadlines, with one timer per read loop rather
 * than a timer and a promise race per read. Where the body supports it, a BYOB reader takes
 * whatever has arrived (up to 256 KiB) per read instead of the runtime's 4 KB pieces, so the
 * per-chunk work downstream runs far less often; each chunk is a right-sized copy, so keeping one
 * never pins the read buffer.
 *
 * The idle deadline is reset by `progress()`, which the caller calls on each complete event: bytes
 * or comments trickling in do not count as progress. The total deadline comes as an AbortSignal.
 * When either passes, the body is cancelled and the loop throws.
 */

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

/** Largest read; bigger reads only help if the network delivers faster than we process. */
const READ_BYTES = 256 * 1024

export interface ChunkReaderOptions {
  /** A complete event must arrive within this many ms of the last one (or of the start). */
  idleMs: number
  /** Aborts the read (the generation's total deadline). */
  signal?: AbortSignal
}

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

  /** The body's chunks, in order. Stopping early cancels the body. */
  async *chunks(): AsyncGenerator<Uint8Array> {
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
        if (this.failure) throw this.failure
        if (chunk === null) break
        yield chunk
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

/** Reads a body in large chunks: BYOB where the body is a byte stream, as it comes otherwise. */
class LargeReads {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader
  private readonly byob: boolean
  private buffer: ArrayBuffer | null = null

  constructor(body: ReadableStream<Uint8Array>) {
    let reader: ReadableStreamBYOBReader | null = null
    try {
      reader = body.getReader({ mode: 'byob' })
    } catch {
      // A stream made in JavaScript (the demo, tests) is not a byte stream: read it as it comes.
    }
    this.byob = reader !== null
    this.reader = reader ?? body.getReader()
  }

  /** The next chunk (a right-sized copy for BYOB reads), or null at the end. */
  async read(): Promise<Uint8Array | null> {
    if (!this.byob) {
      const { done, value } = await (this.reader as ReadableStreamDefaultReader<Uint8Array>).read()
      return done ? null : value
    }
    const view = new Uint8Array(this.buffer ?? new ArrayBuffer(READ_BYTES))
    const { done, value } = await (this.reader as ReadableStreamBYOBReader).read(view)
    if (done || !value) return null
    this.buffer = value.buffer as ArrayBuffer
    return value.slice()
  }

  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason).catch(() => {})
  }
}

/** A body's chunks, read large, without deadlines (R2 objects). Stopping early cancels it. */
export async function* largeChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reads = new LargeReads(body)
  let finished = false
  try {
    for (let chunk = await reads.read(); chunk !== null; chunk = await reads.read()) yield chunk
    finished = true
  } finally {
    if (!finished) await reads.cancel()
  }
}
