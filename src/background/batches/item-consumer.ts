/**
 * The items queue's consumer: each message is one attempt at one batch item. The batch's record
 * says whether it may run (and whether it may start a paid generation); the core obtains it; the
 * record counts how it ended. A retryable failure goes back to wait with backoff, at most
 * ITEM_MAX_ATTEMPTS times; the batch's ending webhook is queued by whoever ends it.
 */
import { publicError } from '../../public-error'
import type { WebhookMessage } from '../webhooks/message'
import type { BatchCore, CoreOutcome } from './batch-core'
import type { ItemResult } from './batch-state'
import { type BatchItemMessage, batchItemMessageSchema } from './item-message'
import { announce, type BatchRecordApi } from './record-api'

/** Attempts in all; wrangler.toml's max_retries for the items queue is one less. */
export const ITEM_MAX_ATTEMPTS = 4
const FIRST_RETRY_SECONDS = 15
const MAX_RETRY_SECONDS = 15 * 60

export interface ItemConsumerDeps {
  core: BatchCore
  batches(batchId: string): BatchRecordApi
  /** Queues a webhook (the webhooks queue's send). */
  notify(message: WebhookMessage): Promise<void>
  random?: () => number
}

export async function handleItemBatch(
  batch: MessageBatch<unknown>,
  deps: ItemConsumerDeps,
): Promise<void> {
  await Promise.all(batch.messages.map((message) => handleItem(message, deps)))
}

/** 15 s × 2^(attempt−1), plus up to 20%, at least what the upstream's Retry-After asked. */
export function itemRetrySeconds(attempt: number, random: () => number, retryAfter = 0): number {
  const base = FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempt - 1) * (1 + 0.2 * random())
  return Math.min(MAX_RETRY_SECONDS, Math.max(Math.floor(base), retryAfter))
}

async function handleItem(message: Message<unknown>, deps: ItemConsumerDeps): Promise<void> {
  const parsed = batchItemMessageSchema.safeParse(message.body)
  if (!parsed.success) {
    console.error(`batch items: dropped malformed message ${message.id}`)
    message.ack()
    return
  }
  const random = deps.random ?? Math.random
  try {
    await runItem(parsed.data, message, deps, random)
  } catch (error) {
    // The record or the queue could not be reached: the whole attempt again, later.
    console.error(`batch items: ${parsed.data.batchId}#${parsed.data.index} failed: ${error}`)
    message.retry({ delaySeconds: itemRetrySeconds(message.attempts, random) })
  }
}

async function runItem(
  item: BatchItemMessage,
  message: Message<unknown>,
  deps: ItemConsumerDeps,
  random: () => number,
): Promise<void> {
  const record = deps.batches(item.batchId)
  const decision = await record.start(item.index, item.estimateMicros)
  if (!decision.go) {
    await announce(record, { notify: decision.notify }, deps.notify)
    message.ack()
    return
  }
  const owner = { keyId: item.ownerKeyId }
  const requestId = `${item.batchId}:${item.index}:${message.attempts}`
  const outcome: CoreOutcome = await deps.core
    .obtainForBatch(item.item, owner, { mayStart: decision.mayStart, requestId })
    .catch(() => ({ status: 'failed', failure: { kind: 'internal' }, retryable: true }))
  if (outcome.status === 'failed' && outcome.retryable && message.attempts < ITEM_MAX_ATTEMPTS) {
    await announce(record, await record.release(item.index), deps.notify)
    const after = retryAfterOf(outcome)
    message.retry({ delaySeconds: itemRetrySeconds(message.attempts, random, after) })
    return
  }
  await announce(record, await record.finish(item.index, resultOf(outcome)), deps.notify)
  message.ack()
}

/** How an item ends, given the core's outcome. */
export function resultOf(outcome: CoreOutcome): ItemResult {
  switch (outcome.status) {
    case 'ok':
      return outcome.cache === 'HIT'
        ? { state: 'skipped_cached', costMicros: 0 }
        : { state: 'completed', costMicros: outcome.cache === 'JOIN' ? 0 : outcome.costMicros }
    case 'over_budget':
      return { state: 'cancelled_budget' }
    case 'failed': {
      const { error } = publicError(outcome.failure).body
      return { state: 'failed', code: error.code ?? error.type, message: error.message }
    }
  }
}

function retryAfterOf(outcome: CoreOutcome): number {
  if (outcome.status !== 'failed' || outcome.failure.kind !== 'upstream_rate_limited') return 0
  const seconds = Number(outcome.failure.retryAfter)
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 0
}
