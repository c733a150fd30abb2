/**
 * Stores what a generation makes as it streams through, and commits it as a cache entry (its
 * manifest, create-only) only once the upstream finished and every image is stored.
 */
import { keyFields } from '../cache/cache-key'
import type { StoredInputs } from '../cache/inputs'
import { MANIFEST_VERSION, type ResultStore } from '../cache/store'
import { pickMeta, type ResultMeta, type StoredImage } from '../result/result'
import type { NormalizedImageRequest } from '../schema/image-request'
import { MalformedBodyError } from '../stream/malformed'
import { FrameSpill, type SpilledFrame } from './frame-spill'
import { ImageWriter } from './image-writer'

export interface WriterContext {
  request: NormalizedImageRequest
  key: string
  store: ResultStore
  /** A cache bypass: replace an existing entry instead of yielding to it. */
  replace: boolean
  /** Image URLs reached a client as images arrived, so a failure must not delete them. */
  keepImagesOnFailure: boolean
  /** Names this generation's spilled frames. */
  generationId: string
  /** An edit's pictures: if the operator keeps them, a stored result's manifest lists them. */
  inputs: StoredInputs
}

/**
 * Each image is decoded into R2 in bounded parts, each other frame spilled for subscribers that
 * fall behind. An incomplete or failed generation never becomes an entry; its images are deleted
 * unless their URLs were already handed out.
 */
export class ResultWriter {
  private image: ImageWriter | null = null
  private readonly images: Promise<StoredImage>[] = []
  /** The last ended image's final upload: the next image waits for it (one image in flight). */
  private finishing: Promise<unknown> | null = null
  private readonly spill: FrameSpill
  /** What the upstream read waits for once (the previous image's upload). */
  private waitFor: Promise<unknown> | null = null
  private result: ResultMeta = { created: Math.floor(Date.now() / 1000) }
  /** Whether the stored result's manifest lists the kept inputs (else nothing may keep them). */
  inputsListed = false

  constructor(private readonly ctx: WriterContext) {
    this.spill = new FrameSpill(ctx.store.bucket, ctx.generationId)
  }

  /** A waiter will hand out image URLs: from now on a failure keeps the images. */
  keepImagesOnFailure(): void {
    this.ctx.keepImagesOnFailure = true
  }

  beginFrame(seq: number): Promise<SpilledFrame> {
    return this.spill.begin(seq)
  }

  frameBytes(bytes: Uint8Array): void {
    this.spill.write(bytes)
  }

  endFrame(): void {
    this.spill.end()
  }

  beginImage(): Promise<StoredImage> {
    this.waitFor = this.finishing
    this.image = new ImageWriter(this.ctx.store, this.ctx.key)
    this.images.push(this.image.stored)
    return this.image.stored
  }

  base64(bytes: Uint8Array): void {
    this.image?.push(bytes)
  }

  /** The image ended; returns whether its base64 was plain (no escapes). */
  endImage(payload: Record<string, unknown> | null): boolean {
    const image = this.image
    this.image = null
    if (payload) this.result = { ...this.result, ...pickMeta(payload) }
    if (!image) return false
    // Finishes in the background; `complete()` waits for it, and its failure fails the result.
    this.finishing = image.finish().catch(() => {})
    return !image.escaped
  }

  meta(meta: Partial<ResultMeta>): void {
    this.result = { ...this.result, ...meta }
  }

  /**
   * A promise to wait for before reading more of the upstream (an upload fell behind, or a new
   * image began while the previous one's last upload runs), or null.
   */
  ready(): Promise<unknown> | null {
    const waits = [this.image?.ready(), this.spill.ready(), this.waitFor].filter((w) => w)
    this.waitFor = null
    return waits.length === 0 ? null : Promise.all(waits)
  }

  /** The upstream finished: waits for every image, commits a complete result. */
  async complete(): Promise<ResultMeta> {
    const stored = await Promise.all(this.images)
    if (stored.length === 0) throw new MalformedBodyError('an answer without images')
    // Fewer images than asked for is an incomplete result: delivered, never kept.
    if (stored.length === this.ctx.request.n) {
      const kept = this.ctx.inputs.keep ? [...this.ctx.inputs.objects] : []
      const committed = await this.ctx.store.commit(
        {
          version: MANIFEST_VERSION,
          key: this.ctx.key,
          storedAt: new Date().toISOString(),
          request: keyFields(this.ctx.request),
          result: this.result,
          images: stored,
          ...(kept.length > 0 ? { inputs: kept } : {}),
        },
        this.ctx.replace,
      )
      this.inputsListed = committed && kept.length > 0
      if (!committed && !this.ctx.keepImagesOnFailure) await this.ctx.store.discard(stored)
    } else if (!this.ctx.keepImagesOnFailure) {
      await this.ctx.store.discard(stored)
    }
    return this.result
  }

  /** The generation failed: nothing of it is kept (but images whose URLs went out). */
  async discard(error: unknown): Promise<void> {
    await this.image?.abort(error)
    await this.spill.abort(error)
    if (this.ctx.keepImagesOnFailure) return
    const settled = await Promise.allSettled(this.images)
    const stored = settled.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    )
    await this.ctx.store.discard(stored).catch(() => {})
  }

  /** Deletes the spilled frames, once no subscriber can read them any more. */
  cleanup(): Promise<void> {
    return this.spill.cleanup()
  }
}
