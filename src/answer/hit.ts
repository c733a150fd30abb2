/**
 * Answers a cache hit in exactly the shape a miss would have: images are read back from R2 one
 * at a time and base64-encoded in 3-byte slices as the client reads (backpressure), so a hit
 * never holds an image, let alone a whole answer. URL answers don't read images at all.
 */
import type { Manifest } from '../cache/store'
import type { ImageKind } from '../result/events'
import { imageUrl } from '../result/result'
import { streamFrom } from '../stream/iterable-stream'
import { type ImageReader, storedImageBytes } from './image-bytes'
import { JSON_OPENING, jsonClosing, urlAnswer } from './json'
import { type AnswerShape, showsFrames } from './shapes'
import { KEEPALIVE } from './sse'

/** The body of a hit's answer (not for redirects, which need only the first image's URL). */
export function hitBody(
  shape: AnswerShape,
  manifest: Manifest,
  store: ImageReader,
  origin: string,
  kind: ImageKind = 'generation',
): ReadableStream<Uint8Array> | Uint8Array {
  if (shape === 'json-url' || shape === 'redirect') {
    return urlAnswer(
      manifest.images.map((image) => imageUrl(origin, image)),
      manifest.result,
    )
  }
  return streamFrom(hitPieces(shape, manifest, store, origin, kind))
}

async function* hitPieces(
  shape: AnswerShape,
  manifest: Manifest,
  store: ImageReader,
  origin: string,
  kind: ImageKind,
): AsyncGenerator<Uint8Array> {
  if (showsFrames(shape)) yield KEEPALIVE
  if (shape === 'json') yield JSON_OPENING
  const source = { store, meta: manifest.result, origin }
  for (const [index, image] of manifest.images.entries()) {
    const framing = { kind, index, prefix: null, suffix: null, payload: null }
    yield* storedImageBytes(shape, framing, image, source)
  }
  if (shape === 'json') yield jsonClosing(manifest.result)
}
