/**
 * One image of a result in an answer: the bytes before its base64, the base64, the bytes after.
 * Live images stream their upstream base64 between these edges; stored ones (cache hits, and
 * subscribers catching up) re-encode it from R2 in 3-byte groups. Both give the same bytes, so a
 * subscriber that fell behind mid-image can continue from the byte where it stopped.
 */
import type { ImageFraming } from '../result/pieces'
import { imageUrl, type ResultMeta, type StoredImage } from '../result/result'
import { base64Pieces } from '../stream/base64'
import { JSON_IMAGE_TAIL, jsonImageHead } from './json'
import type { AnswerShape } from './shapes'
import { completedHead, completedTail, urlFrame } from './sse'

/** Bytes before an image's base64 (null: this shape carries no base64). */
export function imageHead(shape: AnswerShape, framing: ImageFraming): Uint8Array | null {
  if (shape === 'sse') return framing.prefix ?? completedHead(framing.kind)
  if (shape === 'json') return jsonImageHead(framing.index)
  return null
}

/** Bytes after an image's base64 (null: this shape carries no base64). */
export function imageTail(
  shape: AnswerShape,
  framing: ImageFraming,
  meta: ResultMeta,
): Uint8Array | null {
  if (shape === 'sse') return framing.suffix ?? completedTail(meta)
  if (shape === 'json') return JSON_IMAGE_TAIL
  return null
}

/** The completed event of an SSE answer with URLs. */
export function imageLinkFrame(
  framing: ImageFraming,
  meta: ResultMeta,
  origin: string,
  image: StoredImage,
): Uint8Array {
  return urlFrame(framing.kind, framing.payload, meta, imageUrl(origin, image))
}

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

/** A stored image in `shape`, from byte `skip` of what the live image would have sent. */
export async function* storedImageBytes(
  shape: AnswerShape,
  framing: ImageFraming,
  image: StoredImage,
  source: StoredImageSource,
  skip = 0,
): AsyncGenerator<Uint8Array> {
  if (shape === 'sse-url') {
    const frame = imageLinkFrame(framing, source.meta, source.origin, image)
    if (skip < frame.length) yield frame.subarray(skip)
    return
  }
  const head = imageHead(shape, framing)
  const tail = imageTail(shape, framing, source.meta)
  if (!head || !tail) return
  let rest = skip
  if (rest < head.length) yield head.subarray(rest)
  rest = Math.max(0, rest - head.length)
  const text = base64Length(image.bytes)
  if (rest < text) {
    const body = await source.store.readImage(image, Math.floor(rest / 4) * 3)
    if (!body) throw new Error(`stored image ${image.id} is gone`)
    yield* base64Pieces(body, rest % 4)
  }
  rest = Math.max(0, rest - text)
  if (rest < tail.length) yield tail.subarray(rest)
}
