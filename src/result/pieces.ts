/**
 * The pieces a generation is made of on its way from the upstream to every answer: images as the
 * base64 slices the upstream sent, other events as their exact bytes; nothing is re-encoded.
 */
import type { ChunkRef } from '../stream/buffer-pool'
import type { ImageKind } from './events'
import type { ResultMeta } from './result'

export type Piece =
  /** An upstream SSE event that is not a finished image (a partial image, or another type). */
  | { kind: 'frame-begin'; event: string }
  /** Raw bytes of the current frame, exactly as the upstream sent them (`ref`: see ChunkRef). */
  | { kind: 'frame-bytes'; bytes: Uint8Array; ref: ChunkRef }
  | { kind: 'frame-end' }
  /**
   * A finished image begins. `prefix` is the upstream's completed event up to its base64 (an SSE
   * upstream); null when the image came in a JSON body.
   */
  | { kind: 'image-begin'; index: number; prefix: Uint8Array | null }
  /** A slice of the image's base64 text. Keeping `bytes` past the piece means retaining `ref`. */
  | { kind: 'base64'; bytes: Uint8Array; ref: ChunkRef }
  /**
   * The image ended. `suffix` is the rest of its completed event after the base64 (SSE upstream);
   * `payload` that event's JSON without the base64, whose fields describe the result.
   */
  | {
      kind: 'image-end'
      index: number
      suffix: Uint8Array | null
      payload: Record<string, unknown> | null
    }
  /** What a JSON body said about the result besides its images (it comes at its end). */
  | { kind: 'meta'; meta: Partial<ResultMeta> }

/** What is known of one finished image besides its bytes, for writing it into answers. */
export interface ImageFraming {
  /** Names the events it is written in (`image_generation.*` or `image_edit.*`). */
  kind: ImageKind
  index: number
  /** The upstream's completed event around the base64 (SSE upstreams), for byte-true SSE. */
  prefix: Uint8Array | null
  suffix: Uint8Array | null
  /** That event's JSON without the base64: its fields describe the result. */
  payload: Record<string, unknown> | null
}
