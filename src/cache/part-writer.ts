/**
 * Writes one R2 object whose length is not known in advance, in bounded memory. Bytes gather into
 * a part of PART_BYTES; an object that fits in one part is a single `put`, a larger one a
 * multipart upload whose parts go up as they fill (all the same size but the last, as R2
 * requires). While one part uploads the next one fills; a third waits (`write` resolves late),
 * so an object in flight costs about two parts, whatever its size.
 */

/** R2's smallest allowed part (5 MiB): the least memory a multipart upload can take. */
export const PART_BYTES = 5 * 1024 * 1024

export interface PartWriterOptions {
  httpMetadata?: R2HTTPMetadata
  customMetadata?: Record<string, string>
  /** For tests of the multipart path with small objects (R2 rejects parts under 5 MiB). */
  partBytes?: number
}

export class PartWriter {
  private pieces: Uint8Array[] = []
  private pieceBytes = 0
  private upload: R2MultipartUpload | null = null
  private readonly parts: R2UploadedPart[] = []
  private uploading: Promise<void> | null = null
  private flushing: Promise<void> | null = null
  private size = 0
  private readonly partBytes: number

  constructor(
    private readonly bucket: R2Bucket,
    readonly key: string,
    private readonly options: PartWriterOptions = {},
  ) {
    this.partBytes = options.partBytes ?? PART_BYTES
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.size
  }

  /**
   * Adds bytes (kept by reference: don't reuse the array). Returns a promise when the caller
   * should wait before writing more (a full part waits for the previous upload), else null.
   */
  write(bytes: Uint8Array): Promise<void> | null {
    if (bytes.length === 0) return null
    this.pieces.push(bytes)
    this.pieceBytes += bytes.length
    this.size += bytes.length
    if (this.pieceBytes < this.partBytes) return this.flushing
    this.flushing ??= this.flushParts().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  /** The bytes, when they are at most `max` and nothing was uploaded: then nothing will be. */
  takeSmall(max: number): Uint8Array | null {
    if (this.upload || this.flushing || this.size > max) return null
    const bytes = this.take(this.pieceBytes)
    this.pieces = []
    return bytes
  }

  /** Writes what is left and makes the object visible. Returns its size in bytes. */
  async finish(): Promise<number> {
    await this.flushing
    const options = {
      httpMetadata: this.options.httpMetadata,
      customMetadata: this.options.customMetadata,
    }
    if (!this.upload) {
      await this.bucket.put(this.key, this.take(this.pieceBytes), options)
      return this.size
    }
    await this.uploading
    if (this.pieceBytes > 0) await this.uploadPart(this.take(this.pieceBytes))
    await this.upload.complete(this.parts)
    return this.size
  }

  /** Gives up: an unfinished multipart upload is aborted, nothing becomes visible. */
  async abort(): Promise<void> {
    this.pieces = []
    this.pieceBytes = 0
    await this.flushing?.catch(() => {})
    const upload = this.upload
    this.upload = null
    if (!upload) return
    await this.uploading?.catch(() => {})
    await upload.abort().catch(() => {})
  }

  private async flushParts(): Promise<void> {
    while (this.pieceBytes >= this.partBytes) {
      const part = this.take(this.partBytes)
      this.upload ??= await this.bucket.createMultipartUpload(this.key, {
        httpMetadata: this.options.httpMetadata,
        customMetadata: this.options.customMetadata,
      })
      await this.uploading
      const uploading = this.uploadPart(part)
      uploading.catch(() => {}) // surfaces at the next flush or at finish()
      this.uploading = uploading
    }
  }

  private async uploadPart(part: Uint8Array): Promise<void> {
    const upload = this.upload as R2MultipartUpload
    this.parts.push(await upload.uploadPart(this.parts.length + 1, part))
  }

  /** Removes the first `length` bytes from the pieces, as one array. */
  private take(length: number): Uint8Array {
    const out = new Uint8Array(length)
    let filled = 0
    while (filled < length) {
      const piece = this.pieces[0] as Uint8Array
      const used = Math.min(piece.length, length - filled)
      out.set(piece.subarray(0, used), filled)
      filled += used
      if (used === piece.length) this.pieces.shift()
      else this.pieces[0] = piece.subarray(used)
    }
    this.pieceBytes -= length
    return out
  }
}
