/**
 * The units of one generation as its owner records them: each upstream frame that is not a
 * finished image (kept as a spilled copy) and each image (kept in R2). Subscribers that fall
 * behind or join late read these records instead of anything held in memory.
 */
import type { Failure } from '../failure'
import type { ImageFraming } from '../result/pieces'
import type { ResultMeta, StoredImage } from '../result/result'
import type { SpilledFrame } from './frame-spill'

export interface FrameUnit {
  seq: number
  kind: 'frame'
  event: string
  ended: boolean
  spill: Promise<SpilledFrame>
  /** The spilled frame once it can be read back (null before). */
  frame: SpilledFrame | null
}

/** A frame's unit; its `frame` is set once its spill can be read back. */
export function frameUnit(seq: number, event: string, spill: Promise<SpilledFrame>): FrameUnit {
  const unit: FrameUnit = { seq, kind: 'frame', event, ended: false, spill, frame: null }
  spill.then(
    (frame) => {
      unit.frame = frame
    },
    () => {},
  )
  return unit
}

export interface ImageUnit {
  seq: number
  kind: 'image'
  framing: ImageFraming
  ended: boolean
  stored: Promise<StoredImage>
  /** Base64 characters the upstream sent for it. */
  base64Length: number
  /**
   * Whether its base64 can be rebuilt byte for byte from the stored image (no `\/` escapes, padded),
   * so a subscriber that fell behind mid-image can continue from R2 where it stopped.
   */
  resumable: boolean
}

export type Unit = FrameUnit | ImageUnit

/** Where an answer stands: byte `offset` of what unit `seq` sends (`seq` may not exist yet). */
export interface Cursor {
  seq: number
  offset: number
}

export type Outcome =
  | { kind: 'done'; meta: ResultMeta }
  | { kind: 'failed'; failure: Failure }
  /** The result was found in R2 when the generation was about to start: read it from there. */
  | { kind: 'cached' }

/** What the upstream said when it accepted the request. */
export interface Started {
  upstreamRequestId: string | null
  upstreamKind: 'remote' | 'demo'
  /** The upstream that serves (a pool entry's name, `default`, `demo`): operators', never clients'. */
  upstreamName?: string
  /** Milliseconds from calling the upstream to its answer's headers. */
  upstreamFirstByteMs: number
}
