/**
 * The dead-letter queue's consumer, shared by the webhooks and items queues: what their consumers
 * could not handle within max_retries lands here (a consumer that kept throwing). A webhook is
 * written down for the operator; a batch item fails, so its batch still ends and says why.
 */

import { batchItemMessageSchema } from './batches/item-message'
import { announce, type BatchRecordApi } from './batches/record-api'
import { type JobMessage, jobMessageSchema } from './jobs/job-message'
import { type DeliveryFailureLog, failedDelivery } from './webhooks/failure-log'
import { type WebhookMessage, webhookMessageSchema } from './webhooks/message'

export interface DeadLetterDeps {
  webhookLog: DeliveryFailureLog
  batches(batchId: string): BatchRecordApi
  notify(message: WebhookMessage): Promise<void>
  /** Fails an async job for good (and lets go of its pictures). */
  failJob?(job: JobMessage): Promise<void>
  now?: () => number
}

export async function handleDeadLetters(
  batch: MessageBatch<unknown>,
  deps: DeadLetterDeps,
): Promise<void> {
  await Promise.all(batch.messages.map((message) => handleDeadLetter(message, deps)))
}

async function handleDeadLetter(message: Message<unknown>, deps: DeadLetterDeps) {
  try {
    await settle(message.body, deps)
    message.ack()
  } catch (error) {
    console.error(`dead letters: ${message.id} not recorded yet: ${error}`)
    message.retry()
  }
}

async function settle(body: unknown, deps: DeadLetterDeps): Promise<void> {
  const now = deps.now?.() ?? Date.now()
  const webhook = webhookMessageSchema.safeParse(body)
  if (webhook.success) {
    await deps.webhookLog.record(
      failedDelivery(webhook.data, null, { reason: 'dead_lettered' }, now),
    )
    return
  }
  const item = batchItemMessageSchema.safeParse(body)
  if (item.success) {
    const { batchId, index } = item.data
    const record = deps.batches(batchId)
    // Start it (holding nothing) only to end it: an item already ended or cancelled stays so.
    const decision = await record.start(index, 0)
    if (!decision.go) {
      await announce(record, { notify: decision.notify }, deps.notify)
      return
    }
    const message = 'This item could not be processed.'
    const change = await record.finish(index, { state: 'failed', code: 'dead_lettered', message })
    await announce(record, change, deps.notify)
    return
  }
  const job = jobMessageSchema.safeParse(body)
  if (job.success && deps.failJob) {
    await deps.failJob(job.data)
    return
  }
  console.error('dead letters: dropped a message of no known kind')
}
