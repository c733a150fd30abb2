/**
 * Keeps the frames that are not finished images (partial images, other events) where a
 * subscriber that fell behind, or joined late, can read them back without the owner holding
 * them: small frames in memory, larger ones in R2 (`spill/{generation}/{seq}`, written in bounded
 * parts as they stream by). They are deleted when the generation and its last reader are done;
 * an R2 lifecycle rule on `spill/` removes any an evicted owner left behind (README).
 */
import { PartWriter } from '../cache/part-writer'
import { largeChunks } from '../stream/chunk-reader'

/** Frames up to this size stay in memory instead of costing an R2 write. */
const INLINE_BYTES = 64 * 1024

export interface SpilledFrame {
  length: number
  /** The frame's bytes from `offset` on. */
  read(offset: number): AsyncGenerator<Uint8Array>
}

export class FrameSpill {
  private writer: PartWriter | null = null
  private resolve: ((frame: SpilledFrame) => void) | null = null
  private reject: ((error: unknown) => void) | null = null
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

  /** The frame ended: small ones are kept, larger ones finish their upload in the background. */
  end(): void {
    const writer = this.writer
    const resolve = this.resolve
    const reject = this.reject
    this.writer = null
    if (!writer || !resolve || !reject) return
    const small = writer.takeSmall(INLINE_BYTES)
    if (small) {
      resolve({
        length: small.length,
        read: async function* (offset) {
          yield small.subarray(offset)
        },
      })
      return
    }
    this.keys.push(writer.key)
    const bucket = this.bucket
    writer.finish().then(
      (length) =>
        resolve({
          length,
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

  /** Deletes what was written to R2. */
  async cleanup(): Promise<void> {
    if (this.keys.length > 0) await this.bucket.delete(this.keys.splice(0))
  }
}
