/**
 * One renderer per streaming answer shape (SSE with base64, SSE with URLs, base64 JSON): what an
 * answer opens and closes with and what stands for each image, for cache hits and live answers
 * alike. URL JSON is written whole once every image is stored (`urlAnswer`).
 */
import type { Failure } from '../failure'
import type { ImageFraming } from '../result/pieces'
import type { ResultMeta } from '../result/result'
import { JSON_IMAGE_TAIL, JSON_OPENING, jsonClosing, jsonImageHead } from './json'
import type { AnswerShape } from './shapes'
import { completedHead, completedTail, errorFrame, KEEPALIVE, urlFrame } from './sse'

/** The shapes written piece by piece as the generation goes (or as a hit reads R2). */
export type StreamShape = Exclude<AnswerShape, 'json-url' | 'redirect'>

export interface Renderer {
  /** SSE: begins when the upstream accepts and shows its other events (partial images). */
  readonly events: boolean
  /** What the answer opens with. */
  readonly opening: Uint8Array
  /** Sent while the answer is quiet between events (null: this shape has none). */
  readonly keepAlive: Uint8Array | null
  /** An image carried as base64: the bytes before and after its text (null: not carried). */
  readonly base64: {
    head(framing: ImageFraming): Uint8Array
    tail(framing: ImageFraming, meta: ResultMeta): Uint8Array
  } | null
  /** An image linked once stored: what stands for it (null: not linked). */
  readonly link: ((framing: ImageFraming, meta: ResultMeta, url: string) => Uint8Array) | null
  /** What follows the last image (null: nothing). */
  closing(meta: ResultMeta): Uint8Array | null
  /** A failure told between events (null: the answer can only be cut off). */
  failure(failure: Failure): Uint8Array | null
}

const sseAnswer = {
  events: true,
  opening: KEEPALIVE,
  keepAlive: KEEPALIVE,
  closing: () => null,
  failure: errorFrame,
} as const

const RENDERERS: Record<StreamShape, Renderer> = {
  // The upstream's own completed event around the base64 where there was one, else rebuilt.
  sse: {
    ...sseAnswer,
    base64: {
      head: (framing) => framing.prefix ?? completedHead(framing.kind),
      tail: (framing, meta) => framing.suffix ?? completedTail(meta),
    },
    link: null,
  },
  'sse-url': {
    ...sseAnswer,
    base64: null,
    link: (framing, meta, url) => urlFrame(framing.kind, framing.payload, meta, url),
  },
  json: {
    events: false,
    opening: JSON_OPENING,
    keepAlive: null,
    base64: { head: (framing) => jsonImageHead(framing.index), tail: () => JSON_IMAGE_TAIL },
    link: null,
    closing: jsonClosing,
    failure: () => null,
  },
}

export const rendererOf = (shape: StreamShape): Renderer => RENDERERS[shape]
