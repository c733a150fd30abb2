/**
 * What a job looks like from outside: what makes one, the record's view and its public JSON (the status answer of
 * `GET /v1/images/jobs/{id}`, and the webhook's data). Once completed, the route answers the
 * stored result itself, from the cache key kept here, as the synchronous request would have.
 */
import type { Failure } from '../../failure'
import { publicError } from '../../public-error'
import type { ImageKind } from '../../result/events'
import type { WebhookTarget } from '../records'

export type JobStatus = 'queued' | 'in_progress' | 'completed' | 'failed'
export type JobResponseFormat = 'b64_json' | 'url'

/** Where a completed job's answer is: the stored result's cache key (its manifest), not the bytes. */
export interface JobResultRef {
  cacheKey: string
}

export interface JobView {
  id: string
  status: JobStatus
  kind: ImageKind
  responseFormat: JobResponseFormat
  /** Made with `stream: true`: its answer, once done, is the synchronous request's SSE. */
  stream: boolean
  result: JobResultRef | null
  failure: Failure | null
  createdAt: number
  endedAt: number | null
  expiresAt: number | null
  /** The newest event's id (0 for none). */
  lastEventId: number
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000))

/** The job's status as the API answers it (and its webhook carries it). */
export function publicJob(view: JobView) {
  return {
    id: view.id,
    object: 'image.job',
    status: view.status,
    kind: view.kind,
    created_at: seconds(view.createdAt),
    ended_at: seconds(view.endedAt),
    expires_at: seconds(view.expiresAt),
    ...(view.failure ? { error: publicError(view.failure).body.error } : {}),
  }
}

export interface JobInit {
  id: string
  ownerKeyId: string
  kind: ImageKind
  responseFormat: JobResponseFormat
  stream?: boolean
  webhook: WebhookTarget | null
  now?: number
  keepSeconds?: number
  runSeconds?: number
}
