/**
 * A cache hit as generation events: each stored image read back from R2, one at a time, so a hit
 * flows through the same answer writers as a miss and looks the same to the client.
 */
import { GatewayError } from '../errors'
import type { GenerationEvent } from '../generation/events'
import { encodeBase64 } from '../stream/base64'
import type { Manifest, ResultStore } from './store'

/** Replays an entry. `withBase64` false skips reading images (URL answers don't need the bytes). */
export async function* replayEntry(
  manifest: Manifest,
  store: ResultStore,
  withBase64: boolean,
): AsyncGenerator<GenerationEvent> {
  for (const [index, image] of manifest.images.entries()) {
    let b64 = ''
    if (withBase64) {
      const object = await store.getImage(image.id, image.ext)
      if (!object || !('body' in object)) throw new GatewayError({ kind: 'internal' })
      b64 = encodeBase64(new Uint8Array(await object.arrayBuffer()))
    }
    yield { kind: 'image', index, b64, stored: image, completedData: null }
  }
  yield { kind: 'done', meta: manifest.result }
}
