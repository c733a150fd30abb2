/**
 * What a subscriber that missed a unit live gets of it, from the records: a spilled frame read
 * back, or a stored image rendered in the answer's shape, from byte `offset` of what it would have
 * sent live. Bytes come with the chunk they live in, held until the caller takes the next.
 */
import { type StoredImageSource, storedImageBytes } from '../answer/image-bytes'
import { type AnswerShape, showsFrames } from '../answer/shapes'
import { type ChunkRef, UNPOOLED } from '../stream/buffer-pool'
import type { Unit } from './units'

/** `imageReady` runs once an image unit's stored copy is there, before its first bytes. */
export async function* recordedBytes(
  unit: Unit,
  offset: number,
  shape: AnswerShape,
  source: StoredImageSource,
  imageReady: () => void,
): AsyncGenerator<{ bytes: Uint8Array; ref: ChunkRef }> {
  if (unit.kind === 'frame') {
    if (!showsFrames(shape)) return
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
  for await (const bytes of storedImageBytes(shape, unit.framing, image, source, offset)) {
    yield { bytes, ref: UNPOOLED }
  }
}
