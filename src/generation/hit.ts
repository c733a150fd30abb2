/**
 * A cache hit is answered as a late joiner on a generation that has ended, whose records are the
 * manifest's images: a hit is written by the very code that writes a miss, read from R2 as taken.
 */
import { urlAnswer } from '../answer/json'
import type { AnswerShape } from '../answer/shapes'
import { base64Length, type ImageReader } from '../answer/stored-image'
import type { Manifest } from '../cache/store'
import type { ImageKind } from '../result/events'
import { imageUrl } from '../result/result'
import { Subscriber } from './subscriber'
import type { SubscribedGeneration } from './subscription'
import type { ImageUnit } from './units'

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
  const subscriber = new Subscriber(ended(manifest, store, kind), shape, origin)
  subscriber.start()
  return subscriber.body
}

/** The generation that made `manifest`, ended: every image stored, nothing more to come. */
function ended(manifest: Manifest, store: ImageReader, kind: ImageKind): SubscribedGeneration {
  const units = manifest.images.map(
    (image, index): ImageUnit => ({
      seq: index,
      kind: 'image',
      framing: { kind, index, prefix: null, suffix: null, payload: null },
      ended: true,
      stored: Promise.resolve(image),
      base64Length: base64Length(image.bytes),
      resumable: true,
    }),
  )
  return {
    units,
    outcome: { kind: 'done', meta: manifest.result },
    started: true,
    store,
    meta: manifest.result,
    changed: () => Promise.resolve(),
    drained: () => {},
    detach: () => {},
  }
}
