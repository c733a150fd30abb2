/**
 * The queues of work that outlives a connection, by the names wrangler.toml gives them, and the
 * one entry that hands a delivered batch to its consumer (the worker's `queue()` calls it).
 */

export const QUEUE_NAMES = {
  webhooks: 'gw-webhooks',
  batchItems: 'gw-batch-items',
  jobs: 'gw-jobs',
  deadLetters: 'gw-dead-letters',
} as const

export type QueueHandlers = {
  [name in keyof typeof QUEUE_NAMES]: (batch: MessageBatch<unknown>) => Promise<void>
}

/** Hands `batch` to the handler of the queue it came from; a queue we do not know is an error. */
export async function routeQueueBatch(
  batch: MessageBatch<unknown>,
  handlers: QueueHandlers,
): Promise<void> {
  for (const [name, queue] of Object.entries(QUEUE_NAMES)) {
    if (batch.queue === queue) return handlers[name as keyof typeof QUEUE_NAMES](batch)
  }
  throw new Error(`no consumer for queue '${batch.queue}'`)
}
