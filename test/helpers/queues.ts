/**
 * Queues in tests without the broker's timing: a producer that keeps what is sent, and the
 * worker's own `queue()` run on those messages, as the queue would deliver them.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env as baseEnv } from 'cloudflare:workers'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'

/** A queue producer that keeps every message body sent to it, in order. */
export class CapturedQueue {
  readonly bodies: unknown[] = []

  async send(body: unknown): Promise<void> {
    this.bodies.push(structuredClone(body))
  }

  async sendBatch(messages: Iterable<{ body: unknown }>): Promise<void> {
    for (const { body } of messages) this.bodies.push(structuredClone(body))
  }

  /** Takes every body sent so far. */
  take(): unknown[] {
    return this.bodies.splice(0)
  }

  get asQueue(): Queue {
    return this as unknown as Queue
  }
}

let delivered = 0

/**
 * Delivers `bodies` to the worker's `queue()` as one batch from `queue` (attempt `attempts`), with
 * `env` on top of the test bindings; what it acked and retried.
 */
export async function deliver(
  queue: string,
  bodies: unknown[],
  env: Partial<Bindings>,
  attempts = 1,
) {
  const messages = bodies.map((body) => ({
    id: `msg-${++delivered}`,
    timestamp: new Date(),
    attempts,
    body,
  }))
  const batch = createMessageBatch(queue, messages)
  const ctx = createExecutionContext()
  await worker.queue(batch, { ...baseEnv, ...env } as Bindings, ctx)
  await waitOnExecutionContext(ctx)
  return getQueueResult(batch, ctx)
}
