/**
 * Writes one R2 object whose length is not known in advance, in bounded memory: one `put` when it
 * fits in a part (5 MiB), else a multipart upload whose parts go up as they fill.
 */
import { BLOCK_BYTES, giveBuffer, takeBuffer } from '../stream/buffer-pool'

/** R2's smallest allowed part (5 MiB), a whole number of blocks. */
export const PART_BYTES = 20 * BLOCK_BYTES

export interface PartWriterOptions {
  httpMetadata?: R2HTTPMetadata
  customMetadata?: Record<string, string>
  /** Hold one part at a time: `write` resolves once a full part is uploaded. */
  serial?: boolean
}

/**
 * Bytes are copied into pooled 256 KiB blocks, streamed to R2 through a FixedLengthStream (no
 * joined copy) and returned to the pool once R2 has read them; parts are all the same size but the
 * last, as R2 requires. While one part uploads the next fills and a third waits (`write` resolves
 * late), so an object in flight costs about two parts; with `serial` (a source that can simply
 * wait, like a request body) a full part waits for its own upload, so it costs one.
 */
export class PartWriter {
  /** Filled blocks; the last one may be partly filled (`fill` bytes). */
  private blocks: Uint8Array[] = []
  private fill = BLOCK_BYTES
  private buffered = 0
  private size = 0
  private upload: R2MultipartUpload | null = null
  private readonly parts: R2UploadedPart[] = []
  private uploading: Promise<void> | null = null
  private flushing: Promise<void> | null = null

  constructor(
    private readonly bucket: R2Bucket,
    readonly key: string,
    private readonly options: PartWriterOptions = {},
  ) {}

  /** Bytes written so far. */
  get bytes(): number {
    return this.size
  }

  /**
   * Copies bytes in (the caller may reuse its array). Returns a promise when the caller should
   * wait before writing more (a full part waits for the previous upload), else null.
   */
  write(bytes: Uint8Array): Promise<void> | null {
    for (let at = 0; at < bytes.length; ) {
      if (this.fill === BLOCK_BYTES) {
        this.blocks.push(new Uint8Array(takeBuffer()))
        this.fill = 0
      }
      const n = Math.min(BLOCK_BYTES - this.fill, bytes.length - at)
      ;(this.blocks[this.blocks.length - 1] as Uint8Array).set(
        bytes.subarray(at, at + n),
        this.fill,
      )
      this.fill += n
      at += n
    }
    this.buffered += bytes.length
    this.size += bytes.length
    if (this.buffered < PART_BYTES) return this.flushing
    this.flushing ??= this.flushParts().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  /**
   * The blocks and their length, when nothing was uploaded (the object is under one part): the
   * caller keeps them instead of writing them, and gives them back to the pool when done.
   */
  holdBlocks(): { blocks: Uint8Array[]; length: number } | null {
    if (this.upload || this.flushing) return null
    const length = this.buffered
    return { blocks: this.take(length), length }
  }

  /** Writes what is left and makes the object visible. Returns its size in bytes. */
  async finish(): Promise<number> {
    await this.flushing
    if (!this.upload) {
      const options = {
        httpMetadata: this.options.httpMetadata,
        customMetadata: this.options.customMetadata,
      }
      const length = this.buffered
      await send(this.take(length), length, (body) => this.bucket.put(this.key, body, options))
      return this.size
    }
    await this.uploading
    if (this.buffered > 0) await this.uploadPart(this.buffered)
    await this.upload.complete(this.parts)
    return this.size
  }

  /** Gives up: an unfinished multipart upload is aborted, nothing becomes visible. */
  async abort(): Promise<void> {
    for (const block of this.take(this.buffered)) giveBuffer(block.buffer)
    await this.flushing?.catch(() => {})
    const upload = this.upload
    this.upload = null
    if (!upload) return
    await this.uploading?.catch(() => {})
    await upload.abort().catch(() => {})
  }

  private async flushParts(): Promise<void> {
    while (this.buffered >= PART_BYTES) {
      this.upload ??= await this.bucket.createMultipartUpload(this.key, {
        httpMetadata: this.options.httpMetadata,
        customMetadata: this.options.customMetadata,
      })
      await this.uploading
      const uploading = this.uploadPart(PART_BYTES)
      uploading.catch(() => {}) // surfaces at the next flush or at finish()
      this.uploading = uploading
      if (this.options.serial) await uploading
    }
  }

  /** Uploads the first `length` buffered bytes as the next part. */
  private async uploadPart(length: number): Promise<void> {
    const upload = this.upload as R2MultipartUpload
    const number = this.parts.length + 1
    const blocks = this.take(length)
    this.parts.push(await send(blocks, length, (body) => upload.uploadPart(number, body)))
  }

  /** Removes the first `length` bytes (whole blocks, or everything) from the buffer. */
  private take(length: number): Uint8Array[] {
    const count = length === this.buffered ? this.blocks.length : length / BLOCK_BYTES
    const blocks = this.blocks.splice(0, count)
    this.buffered -= length
    if (this.blocks.length === 0) this.fill = BLOCK_BYTES
    return blocks
  }
}

/** Streams `length` bytes of blocks to `to` (an R2 write); the blocks go back to the pool after. */
async function send<T>(
  blocks: Uint8Array[],
  length: number,
  to: (body: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  const { readable, writable } = new FixedLengthStream(length)
  const writer = writable.getWriter()
  const sent = to(readable)
  sent.catch((error: unknown) => writer.abort(error).catch(() => {}))
  try {
    let left = length
    for (const block of blocks) {
      const n = Math.min(block.length, left)
      if (n > 0) await writer.write(block.subarray(0, n))
      left -= n
    }
    await writer.close()
    return await sent
  } finally {
    for (const block of blocks) giveBuffer(block.buffer)
  }
}
