/**
 * The jobs queue's consumer: each message is one attempt at one async job. The record learns it
 * began, the core makes it (through the same owner, cache and billing as the request would have),
 * and the record learns how it ended; a retryable failure waits with backoff, at most
 * ITEM_MAX_ATTEMPTS times. An edit's pictures are let go of if the job ends before the owner has them.
 */
import type { Failure } from '../../failure'
import { ITEM_MAX_ATTEMPTS, itemRetrySeconds } from '../batches/item-consumer'
import { announce } from '../batches/record-api'
import type { WebhookMessage } from '../webhooks/message'
import { type JobMessage, jobMessageSchema } from './job-message'
import type { JobRecordApi } from './record-api'

export type JobOutcome =
  /** Stored under the job's cache key. */
  | { status: 'ok' }
  /** `handedOver`: the owner took the job's pictures (it lets go of them itself). */
  | { status: 'failed'; failure: Failure; retryable: boolean; handedOver: boolean }

export interface JobConsumerDeps {
  /** `attempt`: the message's, from 1 (each attempt is a row in the request log). */
  run(job: JobMessage, attempt: number): Promise<JobOutcome>
  jobs(jobId: string): JobRecordApi
  notify(message: WebhookMessage): Promise<void>
  /** Lets go of an edit's stored pictures. */
  release(objects: readonly string[]): Promise<void>
  random?: () => number
}

export async function handleJobBatch(
  batch: MessageBatch<unknown>,
  deps: JobConsumerDeps,
): Promise<void> {
  await Promise.all(batch.messages.map((message) => handleJob(message, deps)))
}

async function handleJob(message: Message<unknown>, deps: JobConsumerDeps): Promise<void> {
  const parsed = jobMessageSchema.safeParse(message.body)
  if (!parsed.success) {
    console.error(`jobs: dropped malformed message ${message.id}`)
    message.ack()
    return
  }
  const random = deps.random ?? Math.random
  try {
    await runJob(parsed.data, message, deps, random)
  } catch (error) {
    console.error(`jobs: ${parsed.data.jobId} failed: ${error}`)
    message.retry({ delaySeconds: itemRetrySeconds(message.attempts, random) })
  }
}

async function runJob(
  job: JobMessage,
  message: Message<unknown>,
  deps: JobConsumerDeps,
  random: () => number,
): Promise<void> {
  const record = deps.jobs(job.jobId)
  await record.start()
  const outcome: JobOutcome = await deps.run(job, message.attempts).catch(() => ({
    status: 'failed',
    failure: { kind: 'internal' },
    retryable: true,
    handedOver: false,
  }))
  if (outcome.status === 'ok') {
    await announce(record, await record.complete({ cacheKey: job.key }), deps.notify)
    message.ack()
    return
  }
  // An edit's pictures the owner took are gone once its generation failed: nothing to retry with.
  const spent = outcome.handedOver && job.inputs.length > 0
  if (outcome.retryable && !spent && message.attempts < ITEM_MAX_ATTEMPTS) {
    message.retry({ delaySeconds: itemRetrySeconds(message.attempts, random) })
    return
  }
  await endJob(record, job, outcome.failure, deps, outcome.handedOver)
  message.ack()
}

/** Fails the job for good, letting go of pictures the owner does not hold. */
export async function endJob(
  record: JobRecordApi,
  job: JobMessage,
  failure: Failure,
  deps: Pick<JobConsumerDeps, 'notify' | 'release'>,
  handedOver: boolean,
): Promise<void> {
  if (!handedOver && job.inputs.length > 0) await deps.release(job.inputs)
  await announce(record, await record.fail(failure), deps.notify)
}
