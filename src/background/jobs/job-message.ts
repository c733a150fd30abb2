/**
 * An async job on the jobs queue, as plain data: which job, the key that asked (looked up again
 * when it runs), the cache key, and what the owner needs to make it: the normalized request, what
 * goes upstream with its prompt, and an edit's stored pictures (released by whoever holds them last).
 */
import { z } from 'zod'
import type { NormalizedImageRequest } from '../../schema/image-request'
import type { UpstreamPayload } from '../../upstream/payload'
import { RECORD_ID_PATTERN } from '../records'

export interface JobMessage {
  kind: 'job'
  v: 1
  jobId: string
  ownerKeyId: string
  /** The cache key the result is stored under: the job's answer is read from it. */
  key: string
  request: NormalizedImageRequest
  payload: UpstreamPayload
  /** An edit's stored pictures (R2 objects); none for a generation. */
  inputs: string[]
  /** Generate afresh and replace the cached entry (Cache-Control: no-cache, for keys that may). */
  replace: boolean
}

/** Queues take messages up to 128 KB; a little is left for their metadata. */
export const MAX_JOB_MESSAGE_BYTES = 120_000

export const jobMessageSchema = z.strictObject({
  kind: z.literal('job'),
  v: z.literal(1),
  jobId: z.string().regex(RECORD_ID_PATTERN),
  ownerKeyId: z.string().min(1).max(128),
  key: z.string().min(1).max(512),
  // Made by the gateway from a checked request, read back as it was written.
  request: z.custom<NormalizedImageRequest>((value) => typeof value === 'object' && value !== null),
  payload: z.custom<UpstreamPayload>((value) => typeof value === 'object' && value !== null),
  inputs: z.array(z.string().max(1024)).max(32),
  replace: z.boolean(),
})

/** Whether `message` fits on a queue. */
export const fitsQueue = (message: JobMessage) =>
  new TextEncoder().encode(JSON.stringify(message)).length <= MAX_JOB_MESSAGE_BYTES
