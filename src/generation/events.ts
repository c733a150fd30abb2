/**
 * The events of one generation, whatever its source (upstream SSE, upstream JSON, or a cache
 * replay). Answer writers turn them into JSON, SSE or URLs, so hits and misses share one shape.
 */
import type { ResultMeta, StoredImage } from '../cache/store'

export type GenerationEvent =
  /** Any upstream SSE event that is not a completed image, forwarded with its payload unchanged. */
  | { kind: 'passthrough'; event: string; data: string }
  /** One finished image. `completedData` is the upstream's own completed-event payload, if any. */
  | {
      kind: 'image'
      index: number
      b64: string
      stored: StoredImage | null
      completedData: string | null
    }
  /** The generation finished; `meta` describes the result as the upstream did. */
  | { kind: 'done'; meta: ResultMeta }
