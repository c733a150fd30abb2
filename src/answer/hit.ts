/**
 * Answers a cache hit with the renderer a miss of its shape uses: images are read back from R2 one
 * at a time as the client reads (backpressure). URL answers don't read images at all.
 */
import type { Manifest } from '../cache/store'
import type { ImageKind } from '../result/events'
import { imageUrl } from '../result/result'
import { streamFrom } from '../stream/iterable-stream'
import { urlAnswer } from './json'
import { rendererOf, type StreamShape } from './renderers'
import type { AnswerShape } from './shapes'
import { type ImageReader, storedImageBytes } from './stored-image'

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
  shape: StreamShape,
  manifest: Manifest,
  store: ImageReader,
  origin: string,
  kind: ImageKind,
): AsyncGenerator<Uint8Array> {
  const renderer = rendererOf(shape)
  yield renderer.opening
  const source = { store, meta: manifest.result, origin }
  for (const [index, image] of manifest.images.entries()) {
    const view = { kind, index, prefix: null, suffix: null, payload: null }
    for await (const piece of storedImageBytes(renderer, view, image, source)) yield piece.bytes
  }
  const closing = renderer.closing(manifest.result)
  if (closing) yield closing
}
