/**
 * Keeps the frames that are not finished images (partial images, other events) for subscribers
 * that fall behind mid-frame or join late: in pooled memory while small, else in R2.
 */
import { PartWriter } from '../cache/part-writer'
import { type ChunkRef, giveBuffer, UNPOOLED } from '../stream/buffer-pool'
import { largeChunks } from '../stream/chunk-reader'

export interface SpilledFrame {
  length: number
  /** The frame's bytes from `offset` on (views that stay valid while `ref` is retained). */
  read(offset: number): AsyncGenerator<Uint8Array>
  /** Retain to keep the frame readable; release when done. */
  ref: ChunkRef
  /** Keeps the frame readable (release the ref when done), or null once it was let go. */
  hold(): ChunkRef | null
}

/** A frame held in pooled blocks, returned to the pool when its last holder lets go. */
class HeldFrame implements SpilledFrame, ChunkRef {
  private refs = 1
  readonly ref: ChunkRef = this

  constructor(
    private blocks: Uint8Array[],
    readonly length: number,
  ) {}

  retain(): void {
    this.refs++
  }

  hold(): ChunkRef | null {
    if (this.refs === 0) return null
    this.refs++
    return this
  }

  release(): void {
    if (--this.refs > 0) return
    for (const block of this.blocks) giveBuffer(block.buffer)
    this.blocks = []
  }

  async *read(offset: number): AsyncGenerator<Uint8Array> {
    let start = 0
    for (const block of this.blocks) {
      const end = Math.min(start + block.length, this.length)
      if (end > offset) yield block.subarray(Math.max(0, offset - start), end - start)
      start = end
    }
  }
}

/**
 * A frame is copied into pooled blocks as it streams by; one under 5 MiB stays there while it is
 * the newest (late joiners replay it) or while a reader holds it, and is dropped after, costing no
 * R2 write. A larger one goes to R2 as it streams (`spill/{generation}/{seq}`, in parts) and is
 * read back by range; those are deleted when the generation and its last reader are done, and an
 * R2 lifecycle rule on `spill/` removes any an evicted owner left behind.
 */
export class FrameSpill {
  private writer: PartWriter | null = null
  private resolve: ((frame: SpilledFrame) => void) | null = null
  private reject: ((error: unknown) => void) | null = null
  private newest: HeldFrame | null = null
  private readonly keys: string[] = []
  private wait: Promise<void> | null = null

  constructor(
    private readonly bucket: R2Bucket,
    private readonly generationId: string,
  ) {}

  /** A frame begins; the promise settles once it can be read back. */
  begin(seq: number): Promise<SpilledFrame> {
    this.writer = new PartWriter(this.bucket, `spill/${this.generationId}/${seq}`, {
      httpMetadata: { contentType: 'text/event-stream' },
    })
    const spilled = new Promise<SpilledFrame>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    spilled.catch(() => {})
    return spilled
  }

  write(bytes: Uint8Array): void {
    const wait = this.writer?.write(bytes)
    if (wait) this.wait = wait
  }

  ready(): Promise<void> | null {
    const wait = this.wait
    this.wait = null
    return wait
  }

  /** The frame ended: a small one is held (the previous one let go), a larger one finishes in R2. */
  end(): void {
    const writer = this.writer
    const resolve = this.resolve
    const reject = this.reject
    this.writer = null
    if (!writer || !resolve || !reject) return
    const held = writer.holdBlocks()
    if (held) {
      this.newest?.release()
      this.newest = new HeldFrame(held.blocks, held.length)
      resolve(this.newest)
      return
    }
    this.keys.push(writer.key)
    const bucket = this.bucket
    writer.finish().then(
      (length) =>
        resolve({
          length,
          ref: UNPOOLED,
          hold: () => UNPOOLED, // in R2 until the generation and its last reader are done
          async *read(offset) {
            if (offset >= length) return
            const object = await bucket.get(writer.key, { range: { offset } })
            if (!object || !('body' in object)) throw new Error('a spilled frame is gone')
            yield* largeChunks(object.body)
          },
        }),
      (error: unknown) => reject(error),
    )
  }

  /** The generation failed mid-frame: its spill will never be read. */
  async abort(error: unknown): Promise<void> {
    this.reject?.(error)
    await this.writer?.abort()
    this.writer = null
  }

  /** Lets go of the newest frame and deletes what was written to R2 (no reader is left). */
  async cleanup(): Promise<void> {
    this.newest?.release()
    this.newest = null
    if (this.keys.length > 0) await this.bucket.delete(this.keys.splice(0))
  }
}
