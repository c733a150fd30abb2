/**
 * The dead-letter queue's consumer: a webhook the queue gave up on is written down for the
 * operator; a batch item fails (so its batch still ends, and its webhook is queued); what cannot
 * be written down yet is retried.
 */
import { createMessageBatch } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { batchItemMessages } from '../../src/background/batches/item-message'
import { batchRecord } from '../../src/background/batches/record-api'
import { handleDeadLetters } from '../../src/background/dead-letters'
import { newRecordId } from '../../src/background/records'
import { MemoryFailureLog } from '../../src/background/webhooks/failure-log'
import { type WebhookMessage, webhookMessage } from '../../src/background/webhooks/message'
import { queueResult } from './receiver'

describe('the dead-letter consumer', () => {
  it('writes down a webhook the queue gave up on, and acks', async () => {
    const log = new MemoryFailureLog()
    const hook = webhookMessage({
      subject: 'job_7',
      type: 'image.job.failed',
      data: {},
      url: 'https://hooks.example.com/',
      keyId: 'key_1',
      now: 1000,
    })
    const batch = createMessageBatch<unknown>('gw-dead-letters', [
      { id: 'd1', timestamp: new Date(), attempts: 1, body: hook },
      { id: 'd2', timestamp: new Date(), attempts: 1, body: { kind: 'unknown' } },
    ])
    const unused = () => Promise.reject(new Error('not for webhooks'))
    await handleDeadLetters(batch, {
      webhookLog: log,
      batches: () => ({ start: unused, finish: unused, release: unused, notified: unused }),
      notify: unused,
      now: () => 5000,
    })
    expect((await queueResult(batch)).explicitAcks.sort()).toEqual(['d1', 'd2'])
    expect(await log.list()).toEqual([
      {
        id: hook.id,
        url: hook.url,
        type: 'image.job.failed',
        keyId: 'key_1',
        attempts: null,
        reason: 'dead_lettered',
        status: null,
        createdAt: 1000,
        failedAt: 5000,
      },
    ])
  })

  it('retries what it could not write down', async () => {
    const hook = webhookMessage({
      subject: 'job_8',
      type: 'image.job.failed',
      data: {},
      url: 'https://hooks.example.com/',
      keyId: 'key_1',
    })
    const batch = createMessageBatch('gw-dead-letters', [
      { id: 'd1', timestamp: new Date(), attempts: 1, body: hook },
    ])
    const down = () => Promise.reject(new Error('down'))
    await handleDeadLetters(batch, {
      webhookLog: { record: down, list: down },
      batches: () => ({ start: down, finish: down, release: down, notified: down }),
      notify: down,
    })
    expect((await queueResult(batch)).retryMessages).toEqual([{ msgId: 'd1' }])
  })

  it('fails a batch item the queue gave up on, so its batch ends and announces it', async () => {
    const id = newRecordId('batch')
    const stub = env.BATCHES.get(env.BATCHES.idFromName(id))
    const webhook = { url: 'https://hooks.example.com/', keyId: 'key_1' }
    await stub.create({ id, ownerKeyId: 'key_1', total: 2, maxCostMicros: null, webhook })
    const item = { item: { kind: 'request' as const, body: { prompt: 'p' } }, estimateMicros: 5 }
    const [first, second] = batchItemMessages(id, 'key_1', [item, item])
    await stub.start(0, 5)
    await stub.finish(0, { state: 'completed', costMicros: 5 })
    const sent: WebhookMessage[] = []
    const deps = {
      webhookLog: new MemoryFailureLog(),
      batches: (batchId: string) => batchRecord(env.BATCHES, batchId),
      notify: async (message: WebhookMessage) => {
        sent.push(message)
      },
    }
    const batch = createMessageBatch('gw-dead-letters', [
      { id: 'd0', timestamp: new Date(), attempts: 1, body: first },
      { id: 'd1', timestamp: new Date(), attempts: 1, body: second },
    ])
    await handleDeadLetters(batch, deps)
    expect((await queueResult(batch)).explicitAcks.sort()).toEqual(['d0', 'd1'])
    expect(await stub.view('key_1')).toMatchObject({
      status: 'completed',
      counts: { completed: 1, failed: 1 },
      costMicros: 5,
      failures: [{ index: 1, code: 'dead_lettered' }],
    })
    expect(sent.map((m) => m.type)).toEqual(['image.batch.completed'])
  })
})
