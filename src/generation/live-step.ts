/**
 * What a live answer does with each piece of its generation as it happens: which unit it enters
 * or leaves, and the bytes it adds in its shape (the upstream's own bytes, shared, or the edges of
 * an image, or, for URL answers, the completed event with the image's URL once it is stored).
 */
import type { Renderer } from '../answer/renderers'
import type { Piece } from '../result/pieces'
import { imageUrl, type ResultMeta } from '../result/result'
import { type ChunkRef, UNPOOLED } from '../stream/buffer-pool'
import type { Unit } from './units'

export interface LiveStep {
  /** The answer begins here (a JSON answer at its first image). */
  answer: boolean
  /** It enters the unit here; it leaves it after these bytes. */
  enter: boolean
  leave: boolean
  /** Bytes of the unit, in order, and the chunk they live in. */
  bytes: (Uint8Array | Promise<Uint8Array>)[]
  ref: ChunkRef
}

export interface LiveAnswer {
  renderer: Renderer
  meta: ResultMeta
  origin: string
  /** Whether it is inside this piece's unit. */
  inside: boolean
}

const step = (partial: Partial<LiveStep>): LiveStep => ({
  answer: false,
  enter: false,
  leave: false,
  bytes: [],
  ref: UNPOOLED,
  ...partial,
})

/** What `answer` does with `piece` of `unit`; null: nothing. */
export function liveStep(answer: LiveAnswer, piece: Piece, unit: Unit): LiveStep | null {
  const { renderer, inside } = answer
  switch (piece.kind) {
    case 'frame-begin':
      return renderer.events ? step({ enter: true }) : null
    case 'frame-bytes':
      return inside ? step({ bytes: [piece.bytes], ref: piece.ref }) : null
    case 'frame-end':
      return inside ? step({ leave: true }) : null
    case 'image-begin': {
      if (unit.kind !== 'image') return null
      const head = renderer.base64?.head(unit.framing)
      return step({ answer: true, enter: true, bytes: head ? [head] : [] })
    }
    case 'base64':
      return inside && renderer.base64 ? step({ bytes: [piece.bytes], ref: piece.ref }) : null
    case 'image-end': {
      if (!inside || unit.kind !== 'image') return null
      const { base64, link } = renderer
      const bytes: LiveStep['bytes'] = []
      if (base64) bytes.push(base64.tail(unit.framing, answer.meta))
      if (link) {
        const frame = unit.stored.then((image) =>
          link(unit.framing, answer.meta, imageUrl(answer.origin, image)),
        )
        frame.catch(() => {}) // the pump reports it, if it is still there to
        bytes.push(frame)
      }
      return step({ leave: true, bytes })
    }
    case 'meta':
      return null
  }
}
