/**
 * A stored image in an answer, read back from R2 and written by the answer's renderer from any
 * byte of what the live image sent: a hit, a late joiner and a reader that fell behind all match.
 */
import type { ImageFraming } from '../result/pieces'
import { imageUrl, type ResultMeta, type StoredImage } from '../result/result'
import { base64Chunks } from '../stream/base64'
import { UNPOOLED } from '../stream/buffer-pool'
import type { Chunk } from '../stream/chunk-reader'
import type { Renderer } from './renderers'

/** Length of the base64 text of `bytes` bytes (padded). */
export const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4

/** Where stored images are read from: R2 (the owner), or through the edge cache (the worker). */
export interface ImageReader {
  readImage(image: StoredImage, offset?: number): Promise<ReadableStream<Uint8Array> | null>
}

export interface StoredImageSource {
  store: ImageReader
  meta: ResultMeta
  origin: string
}

/**
 * A stored image as `renderer` writes it, from byte `skip` of what the live image sent. The base64
 * comes in pooled chunks, each valid until the loop asks for the next (retain its ref to keep it).
 */
export async function* storedImageBytes(
  renderer: Renderer,
  framing: ImageFraming,
  image: StoredImage,
  source: StoredImageSource,
  skip = 0,
): AsyncGenerator<Chunk> {
  let rest = skip
  /** What is left of `bytes` past the skipped ones (null: nothing). */
  const unskipped = (bytes: Uint8Array): Chunk | null => {
    const piece = rest < bytes.length ? { bytes: bytes.subarray(rest), ref: UNPOOLED } : null
    rest = Math.max(0, rest - bytes.length)
    return piece
  }
  const { base64, link } = renderer
  if (base64) {
    const head = unskipped(base64.head(framing))
    if (head) yield head
    const text = base64Length(image.bytes)
    if (rest < text) {
      const body = await source.store.readImage(image, Math.floor(rest / 4) * 3)
      if (!body) throw new Error(`stored image ${image.id} is gone`)
      yield* base64Chunks(body, rest % 4)
    }
    rest = Math.max(0, rest - text)
    const tail = unskipped(base64.tail(framing, source.meta))
    if (tail) yield tail
  }
  if (link) {
    const frame = unskipped(link(framing, source.meta, imageUrl(source.origin, image)))
    if (frame) yield frame
  }
}
