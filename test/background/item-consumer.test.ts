/**
 * The items consumer against a fake gateway core and real BatchRecords: cached items are skipped
 * at no cost, joins cost nothing, misses are paid within the cap and past it stop as
 * cancelled_budget, failures are retried with backoff then counted with their codes, a cancelled
 * batch runs nothing more, and the batch's ending webhook is queued exactly when it ends.
 */
import { createMessageBatch } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { BatchCore, CoreOutcome, ObtainOptions } from '../../src/background/batches/batch-core'
import type { BatchInit } from '../../src/background/batches/batch-view'
import {
  handleItemBatch,
  ITEM_MAX_ATTEMPTS,
  type ItemConsumerDeps,
} from '../../src/background/batches/item-consumer'
import {
  type BatchItemMessage,
  type BatchItemSpec,
  batchItemMessages,
} from '../../src/background/batches/item-message'
import { batchRecord } from '../../src/background/batches/record-api'
import { newRecordId } from '../../src/background/records'
import type { WebhookMessage } from '../../src/background/webhooks/message'
import { queueResult, spyBatch, spyMessage } from './receiver'

const OWNER = 'key_owner'
const PRICE = 40_000

/** A fake core: what an item's prompt says happens to it. */
class FakeCore implements BatchCore {
  readonly calls: { prompt: string; mayStart: boolean }[] = []
  /** Prompts that fail (retryably) this many more times. */
  readonly flaky = new Map<string, number>()

  async obtainForBatch(
    item: BatchItemSpec,
    _: unknown,
    options: ObtainOptions,
  ): Promise<CoreOutcome> {
    const prompt = item.kind === 'request' ? String(item.body.prompt) : item.url
    this.calls.push({ prompt, mayStart: options.mayStart })
    const left = this.flaky.get(prompt) ?? 0
    if (left > 0) {
      this.flaky.set(prompt, left - 1)
      return {
        status: 'failed',
        failure: { kind: 'upstream_unavailable', cause: 'status' },
        retryable: true,
      }
    }
    if (prompt.startsWith('cached')) return { status: 'ok', cache: 'HIT', costMicros: 0 }
    if (prompt.startsWith('joined')) return { status: 'ok', cache: 'JOIN', costMicros: 0 }
    if (prompt.startsWith('throws')) throw new Error('core crashed')
    if (prompt.startsWith('blocked')) {
      const failure = {
        kind: 'content_policy',
        message: 'Blocked.',
        code: 'moderation_blocked',
        type: 'image_generation_user_error',
      } as const
      return { status: 'failed', failure, retryable: false }
    }
    if (!options.mayStart) return { status: 'over_budget' }
    return { status: 'ok', cache: 'MISS', costMicros: PRICE }
  }
}

async function newBatch(prompts: string[], overrides: Partial<BatchInit> = {}) {
  const id = newRecordId('batch')
  const stub = env.BATCHES.get(env.BATCHES.idFromName(id))
  await stub.create({
    id,
    ownerKeyId: OWNER,
    total: prompts.length,
    maxCostMicros: null,
    webhook: null,
    ...overrides,
  })
  const items = prompts.map((prompt) => ({
    item: { kind: 'request' as const, body: { prompt } },
    estimateMicros: 50_000,
  }))
  return { id, stub, messages: batchItemMessages(id, OWNER, items) }
}

function deps(core = new FakeCore()) {
  const sent: WebhookMessage[] = []
  const d = {
    core,
    batches: (id: string) => batchRecord(env.BATCHES, id),
    notify: async (message: WebhookMessage) => {
      sent.push(message)
    },
    random: () => 0,
  } satisfies ItemConsumerDeps
  return { ...d, sent }
}

/** Delivers `messages` as one queue batch, each on its `attempts`th delivery. */
async function deliver(messages: BatchItemMessage[], d: ItemConsumerDeps, attempts = 1) {
  const batch = createMessageBatch(
    'gw-batch-items',
    messages.map((body) => ({ id: `m${body.index}`, timestamp: new Date(), attempts, body })),
  )
  await handleItemBatch(batch, d)
  return queueResult(batch)
}

describe('the items consumer', () => {
  it('counts hits as skipped_cached, joins and misses as completed, and pays only misses', async () => {
    const { stub, messages } = await newBatch(['cached a', 'joined b', 'new c'])
    const d = deps()
    const result = await deliver(messages, d)
    expect(result.explicitAcks.sort()).toEqual(['m0', 'm1', 'm2'])
    expect(await stub.view(OWNER)).toMatchObject({
      status: 'completed',
      counts: { skipped_cached: 1, completed: 2 },
      costMicros: PRICE,
    })
  })

  it('stops paid items at the cap as cancelled_budget, still serving cached ones', async () => {
    const { stub, messages } = await newBatch(['new a', 'new b', 'cached c', 'joined d'], {
      maxCostMicros: 60_000,
    })
    const d = deps()
    for (const message of messages) await deliver([message], d)
    expect(d.core.calls.map((c) => c.mayStart)).toEqual([true, false, false, false])
    expect(await stub.view(OWNER)).toMatchObject({
      counts: { completed: 2, cancelled_budget: 1, skipped_cached: 1 },
      costMicros: PRICE,
    })
  })

  it("counts a key's exhausted balance as cancelled_budget too", async () => {
    const core = new FakeCore()
    core.obtainForBatch = async () => ({ status: 'over_budget' })
    const { stub, messages } = await newBatch(['new a'])
    await deliver(messages, deps(core))
    expect((await stub.view(OWNER))?.counts.cancelled_budget).toBe(1)
  })

  it('retries a failing item with backoff, then counts it failed with its code', async () => {
    const core = new FakeCore()
    core.flaky.set('new a', 10)
    const { stub, messages } = await newBatch(['new a'])
    const d = deps(core)
    const message = messages[0] as BatchItemMessage
    for (let attempt = 1; attempt < ITEM_MAX_ATTEMPTS; attempt++) {
      const spy = spyMessage(message, attempt)
      await handleItemBatch(spyBatch('gw-batch-items', [spy]), d)
      expect(spy.retried).toEqual({ delaySeconds: 15 * 2 ** (attempt - 1) })
      expect((await stub.view(OWNER))?.counts).toMatchObject({ queued: 1, in_progress: 0 })
      expect((await stub.view(OWNER))?.heldMicros).toBe(0)
    }
    const last = await deliver([message], d, ITEM_MAX_ATTEMPTS)
    expect(last.explicitAcks).toEqual(['m0'])
    expect(await stub.view(OWNER)).toMatchObject({
      status: 'completed',
      counts: { failed: 1 },
      failures: [{ index: 0, code: 'upstream_unavailable' }],
    })
  })

  it('completes an item that succeeds on a retry, paying once', async () => {
    const core = new FakeCore()
    core.flaky.set('new a', 1)
    const { stub, messages } = await newBatch(['new a'])
    const d = deps(core)
    expect((await deliver(messages, d, 1)).retryMessages).toEqual([{ msgId: 'm0' }])
    expect((await deliver(messages, d, 2)).explicitAcks).toEqual(['m0'])
    expect(await stub.view(OWNER)).toMatchObject({ counts: { completed: 1 }, costMicros: PRICE })
  })

  it('honours the upstream Retry-After when it asks for longer', async () => {
    const core = new FakeCore()
    core.obtainForBatch = async () => ({
      status: 'failed',
      failure: { kind: 'upstream_rate_limited', retryAfter: '120' },
      retryable: true,
    })
    const { messages } = await newBatch(['new a'])
    const spy = spyMessage(messages[0], 1)
    await handleItemBatch(spyBatch('gw-batch-items', [spy]), deps(core))
    expect(spy.retried).toEqual({ delaySeconds: 120 })
  })

  it('counts a refused item failed at once, with the code a client would have seen', async () => {
    const { stub, messages } = await newBatch(['blocked a'])
    expect((await deliver(messages, deps())).explicitAcks).toEqual(['m0'])
    expect((await stub.view(OWNER))?.failures).toEqual([
      { index: 0, code: 'moderation_blocked', message: 'Blocked.' },
    ])
  })

  it('treats a core that throws as a retryable internal failure', async () => {
    const { stub, messages } = await newBatch(['throws a'])
    const d = deps()
    expect((await deliver(messages, d, 1)).retryMessages).toEqual([{ msgId: 'm0' }])
    await deliver(messages, d, ITEM_MAX_ATTEMPTS)
    expect((await stub.view(OWNER))?.failures).toMatchObject([{ code: 'internal_error' }])
  })

  it('runs nothing of a cancelled batch, and acks its items', async () => {
    const { stub, messages } = await newBatch(['new a', 'new b'])
    await stub.cancel(OWNER)
    const d = deps()
    expect((await deliver(messages, d)).explicitAcks.sort()).toEqual(['m0', 'm1'])
    expect(d.core.calls).toEqual([])
    expect((await stub.view(OWNER))?.counts.cancelled).toBe(2)
  })

  it('does not run an item again when its message comes twice', async () => {
    const { messages } = await newBatch(['new a'])
    const d = deps()
    await deliver(messages, d)
    expect((await deliver(messages, d)).explicitAcks).toEqual(['m0'])
    expect(d.core.calls).toHaveLength(1)
  })

  it('queues the ending webhook once, from the item that ends the batch', async () => {
    const hook = { url: 'https://hooks.example.com/', keyId: OWNER }
    const { id, messages } = await newBatch(['cached a', 'new b'], { webhook: hook })
    const d = deps()
    await deliver([messages[0] as BatchItemMessage], d)
    expect(d.sent).toEqual([])
    await deliver([messages[1] as BatchItemMessage], d)
    await deliver([messages[1] as BatchItemMessage], d)
    expect(d.sent.map((m) => [m.id, m.type])).toEqual([
      [`msg_${id}_image_batch_completed`, 'image.batch.completed'],
    ])
  })

  it('retries the item, webhook still owed, when the webhook cannot be queued', async () => {
    const hook = { url: 'https://hooks.example.com/', keyId: OWNER }
    const { messages } = await newBatch(['new a'], { webhook: hook })
    const d = deps()
    const failing = { ...d, notify: () => Promise.reject(new Error('queue down')) }
    expect((await deliver(messages, failing)).retryMessages).toEqual([{ msgId: 'm0' }])
    expect((await deliver(messages, d, 2)).explicitAcks).toEqual(['m0'])
    expect(d.sent).toHaveLength(1)
    expect(d.core.calls).toHaveLength(1)
  })

  it('drops a message that is not a batch item', async () => {
    const d = deps()
    const batch = createMessageBatch('gw-batch-items', [
      { id: 'x', timestamp: new Date(), attempts: 1, body: { kind: 'batch_item', index: -1 } },
    ])
    await handleItemBatch(batch, d)
    expect((await queueResult(batch)).explicitAcks).toEqual(['x'])
    expect(d.core.calls).toEqual([])
  })
})

describe('batch item messages', () => {
  it('carry each item in order, and refuse one too large for a queue', () => {
    const id = newRecordId('batch')
    const items = [
      { item: { kind: 'embed' as const, url: '/v1/images/embed?p=1' }, estimateMicros: 1 },
    ]
    expect(batchItemMessages(id, OWNER, items)).toEqual([
      { kind: 'batch_item', v: 1, batchId: id, index: 0, ownerKeyId: OWNER, ...items[0] },
    ])
    const huge = [
      {
        item: { kind: 'request' as const, body: { prompt: '€'.repeat(45_000) } },
        estimateMicros: 1,
      },
    ]
    expect(() => batchItemMessages(id, OWNER, huge)).toThrow(/item 0/)
  })
})
