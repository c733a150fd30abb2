/** The queue router: each queue's batch goes to its own consumer; an unknown queue is an error. */
import { createMessageBatch } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { QUEUE_NAMES, routeQueueBatch } from '../../src/background/queues'

describe('routeQueueBatch', () => {
  it.each(Object.entries(QUEUE_NAMES))(
    'hands %s batches (%s) to their consumer',
    async (name, queue) => {
      const handlers = {
        webhooks: vi.fn(async () => {}),
        batchItems: vi.fn(async () => {}),
        jobs: vi.fn(async () => {}),
        deadLetters: vi.fn(async () => {}),
      }
      const batch = createMessageBatch(queue, [])
      await routeQueueBatch(batch, handlers)
      for (const [handler, fn] of Object.entries(handlers)) {
        expect(fn).toHaveBeenCalledTimes(handler === name ? 1 : 0)
      }
    },
  )

  it('refuses a queue it has no consumer for', async () => {
    const none = async () => {}
    const handlers = { webhooks: none, batchItems: none, jobs: none, deadLetters: none }
    await expect(routeQueueBatch(createMessageBatch('elsewhere', []), handlers)).rejects.toThrow(
      /elsewhere/,
    )
  })
})
