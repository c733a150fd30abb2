/**
 * What a waiter brings to a generation's owner (a join request) and what the owner keeps of the
 * one generation it runs: its starter, joiners and whether it may go on.
 */
import type { AnswerShape } from '../answer/shapes'
import type { Payer } from '../billing/reservations'
import type { StoredInputs } from '../cache/inputs'
import type { Failure } from '../failure'
import type { LogIdentity } from '../log/request-notes'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { UpstreamSettings } from '../settings'
import type { UpstreamPayload } from '../upstream/payload'
import type { Generation } from './generation'
import type { ResultWriter } from './result-writer'

export interface JoinRequest {
  key: string
  request: NormalizedImageRequest
  /** What to send upstream with the request's prompt: the fields, and an edit's pictures. */
  payload: UpstreamPayload
  /**
   * An edit's stored pictures, the owner's from the call on: released at once when the request
   * joins a running generation, else when its own generation ends (kept if its result lists them).
   */
  inputs: StoredInputs
  /** Which upstream to call, resolved by the worker that received the request. */
  upstream: UpstreamSettings
  /** A cache bypass: generate even if an entry exists, and replace it. */
  replace: boolean
  /** The answer this waiter wants; `origin` prefixes its image URLs. */
  shape: AnswerShape
  origin: string
  /** The cache TTL the worker applies, so owner and worker agree on what counts as cached. */
  ttlSeconds: number | null
  /** Who pays if this request starts the generation (null: nobody pays). */
  payer: Payer | null
  /** Idle time before an SSE keep-alive comment. */
  keepAliveMs: number
  /** Who this waiter is in the request log; unset: not logged. */
  log?: LogIdentity | null
}

export const wantsUrls = (shape: AnswerShape) =>
  shape === 'sse-url' || shape === 'json-url' || shape === 'redirect'

export interface Running {
  id: string
  generation: Generation
  writer: ResultWriter
  /** The request that started it: its payer pays. */
  starter: JoinRequest
  /** The requests that joined it since, answered from it (logged with it). */
  joiners: JoinRequest[]
  /**
   * Resolves once the generation may go on (paid for, needing no payment, or already ended), or
   * with the failure of the starter's reservation: then nothing started and it is gone.
   */
  paid: Promise<Failure | null>
  decide: (refusal: Failure | null) => void
}
