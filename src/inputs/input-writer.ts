/**
 * One input picture as it streams in: hashed (Workers' DigestStream), its header probed, its bytes
 * written to R2 one part at a time; a file that is not a png/jpeg/webp by its bytes, or too large,
 * fails as soon as that is known, with a 400 naming its field.
 */
import type { InputStore } from '../cache/inputs'
import type { PartWriter } from '../cache/part-writer'
import { fail } from '../errors'
import type { InputImage } from '../result/inputs'
import { sniffImage } from '../result/result'
import { type ChunkRef, UNPOOLED } from '../stream/buffer-pool'
import { concat, hex } from '../stream/bytes'
import { ImageProbe } from '../stream/image-probe'

/** One stored picture: what the request knows of it, whether it has alpha, and its object. */
export interface StoredInput {
  image: InputImage
  alpha: boolean
  object: string
}

/** What a picture is checked against, and how errors name it. */
export interface InputRules {
  maxBytes: number
  /** The request field to name (`image`, `mask`, `images.0.image_url`). */
  param: string
  /** The picture in words (`image 2`, `the mask`). */
  label: string
}

/** Bytes that tell a picture's type (a WebP needs 12). */
const SNIFF_BYTES = 12

export class InputWriter {
  private readonly probe = new ImageProbe()
  private readonly digest = new crypto.DigestStream('SHA-256')
  private readonly hashing = this.digest.getWriter()
  private writer: PartWriter | null = null
  private staged: Uint8Array | null = null
  private size = 0

  constructor(
    private readonly store: InputStore,
    private readonly index: number,
    private readonly rules: InputRules,
  ) {
    this.digest.digest.catch(() => {}) // rejects when aborted; read only after a clean close
  }

  /**
   * Takes bytes. The probe and R2 parts copy them at once, but the hash reads them later: it
   * retains `ref` until it has (pooled bytes stay untouched), and the caller may reuse bytes that
   * are not pooled once the returned promise settles.
   */
  write(bytes: Uint8Array, ref: ChunkRef = UNPOOLED): Promise<unknown> {
    this.size += bytes.length
    if (this.size >= this.rules.maxBytes) this.tooLarge()
    this.probe.push(bytes)
    if (typeof this.probe.result === 'string') this.notAPicture(this.probe.result)
    const hashed = this.hashing.write(bytes)
    ref.retain()
    const release = () => ref.release()
    hashed.then(release, release)
    let stored: Promise<void> | null
    if (this.writer) {
      stored = this.writer.write(bytes)
    } else {
      const head = this.staged ? concat([this.staged, bytes]) : bytes
      if (head.length < SNIFF_BYTES) {
        this.staged = head.slice()
        return hashed
      }
      this.staged = null
      const ext = sniffImage(head)
      if (!ext) return this.notAPicture('it is not a png, jpeg or webp file')
      this.writer = this.store.writer(this.index, ext)
      stored = this.writer.write(head)
    }
    return stored ? Promise.all([hashed, stored]) : hashed
  }

  /** The file ended: the picture, stored, or a 400 saying why it is not one. */
  async finish(): Promise<StoredInput> {
    try {
      this.probe.end()
      const found = this.probe.result
      if (typeof found === 'string' || found === null) return this.notAPicture(`${found}`)
      const writer = this.writer
      if (!writer) return this.notAPicture('it ends before its header does')
      await this.hashing.close()
      const sha256 = hex(await this.digest.digest)
      await writer.finish()
      const { format, width, height, alpha } = found
      const image = { sha256, bytes: this.size, format, width, height }
      return { image, alpha, object: writer.key }
    } catch (error) {
      await this.abort()
      throw error
    }
  }

  /** Gives up: nothing of this picture stays in R2. */
  async abort(): Promise<void> {
    await this.hashing.abort().catch(() => {})
    await this.writer?.abort()
  }

  private tooLarge(): never {
    const mb = Math.round(this.rules.maxBytes / (1024 * 1024))
    fail({
      kind: 'invalid_request',
      message: `${capital(this.rules.label)} is too large: it must be under ${mb} MB.`,
      param: this.rules.param,
      code: 'image_too_large',
    })
  }

  private notAPicture(reason: string): never {
    fail({
      kind: 'invalid_request',
      message: `${capital(this.rules.label)} is not a picture this API takes: ${reason}. Send png, webp or jpg files (their bytes count, not their names or declared types).`,
      param: this.rules.param,
      code: 'invalid_image_format',
    })
  }
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)
