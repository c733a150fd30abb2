/**
 * Stores one image as its base64 streams in: decoded in 4-character groups (the one decode a
 * stored megabyte needs) and written to R2 in bounded parts, so an image in flight costs about
 * one part of memory whatever its size. Its type comes from its first bytes, never a guess.
 */
import type { ResultStore } from '../cache/store'
import { type StoredImage, sniffImage } from '../result/result'
import { Base64Decoder } from '../stream/base64'
import { MalformedBodyError } from '../stream/malformed'

export class ImageWriter {
  /** Settles when the image is stored (or will never be). */
  readonly stored: Promise<StoredImage>
  private resolve!: (image: StoredImage) => void
  private reject!: (error: unknown) => void
  private readonly decoder = new Base64Decoder((bytes) => this.decoded(bytes))
  private writer: ReturnType<ResultStore['imageWriter']> | null = null
  private wait: Promise<void> | null = null

  constructor(
    private readonly store: ResultStore,
    private readonly cacheKey: string,
  ) {
    this.stored = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.stored.catch(() => {}) // whoever needs it awaits it; a failure is reported elsewhere
  }

  push(bytes: Uint8Array): void {
    this.decoder.push(bytes)
  }

  /** Whether its base64 came with `\/` escapes (then it is not rebuilt byte for byte from R2). */
  get escaped(): boolean {
    return this.decoder.escaped
  }

  /** A promise to wait for before pushing more (an upload fell behind), or null. */
  ready(): Promise<void> | null {
    const wait = this.wait
    this.wait = null
    return wait
  }

  async finish(): Promise<StoredImage> {
    try {
      this.decoder.finish()
      const writer = this.writer
      if (!writer) throw new MalformedBodyError('an empty image')
      const bytes = await writer.finish()
      const image: StoredImage = { id: writer.id, ext: writer.ext, bytes }
      this.resolve(image)
      return image
    } catch (error) {
      await this.abort(error)
      throw error
    }
  }

  async abort(error: unknown): Promise<void> {
    this.reject(error)
    await this.writer?.abort()
  }

  private decoded(bytes: Uint8Array): void {
    if (!this.writer) {
      const ext = sniffImage(bytes)
      if (!ext) throw new MalformedBodyError('an image that is not png, jpeg or webp')
      this.writer = this.store.imageWriter(ext, this.cacheKey)
    }
    const wait = this.writer.write(bytes)
    if (wait) this.wait = wait
  }
}
