/**
 * The part of a batch's record the queue consumers use, as an interface: the BatchRecord Durable
 * Object through its namespace in the worker, anything shaped like it in tests.
 */

import type { WebhookMessage } from '../webhooks/message'
import type { BatchChange, BatchRecord, Started } from './batch-record'
import type { ItemResult } from './batch-state'

export interface BatchRecordApi {
  start(index: number, estimateMicros: number): Promise<Started>
  finish(index: number, result: ItemResult): Promise<BatchChange>
  release(index: number): Promise<BatchChange>
  notified(): Promise<void>
}

/** The record of batch `id` (its Durable Object is named by the id). */
export function batchRecord(
  namespace: DurableObjectNamespace<BatchRecord>,
  id: string,
): BatchRecordApi {
  const stub = namespace.get(namespace.idFromName(id))
  return {
    start: async (index, estimate) => (await stub.start(index, estimate)) as Started,
    finish: async (index, result) => (await stub.finish(index, result)) as BatchChange,
    release: async (index) => (await stub.release(index)) as BatchChange,
    notified: async () => {
      await stub.notified()
    },
  }
}

/**
 * Queues the ending's webhook a change handed back (a batch's or a job's), then tells the record
 * it was queued.
 */
export async function announce(
  record: { notified(): Promise<void> },
  change: { notify: WebhookMessage | null },
  send: (message: WebhookMessage) => Promise<void>,
): Promise<void> {
  if (!change.notify) return
  await send(change.notify)
  await record.notified()
}
