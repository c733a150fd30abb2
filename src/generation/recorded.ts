/**
 * What a subscriber that missed a unit live gets of it, from the records: a spilled frame read
 * back, or a stored image rendered in the answer's shape, from byte `offset` of what it would have
 * sent live. Bytes come with the chunk they live in, held until the caller takes the next.
 */
import type { Renderer } from '../answer/renderers'
import { type StoredImageSource, storedImageBytes } from '../answer/stored-image'
import type { Chunk } from '../stream/chunk-reader'
import type { Unit } from './units'

/** `imageReady` runs once an image unit's stored copy is there, before its first bytes. */
export async function* recordedBytes(
  unit: Unit,
  offset: number,
  renderer: Renderer,
  source: StoredImageSource,
  imageReady: () => void,
): AsyncGenerator<Chunk> {
  if (unit.kind === 'frame') {
    if (!renderer.events) return
    const frame = await unit.spill
    frame.ref.retain()
    try {
      for await (const bytes of frame.read(offset)) yield { bytes, ref: frame.ref }
    } finally {
      frame.ref.release()
    }
    return
  }
  const image = await unit.stored
  if (offset > 0 && !unit.resumable) {
    throw new Error('an image sent with escapes cannot be continued from its stored copy')
  }
  imageReady()
  yield* storedImageBytes(renderer, unit.framing, image, source, offset)
}
