/**
 * The operator's list of undeliverable webhooks, in memory and in its Durable Object: newest
 * first, one entry per webhook-id, filtered by key, the newest 1000 kept.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  type DeliveryFailureLog,
  type FailedDelivery,
  MAX_FAILURE_ENTRIES,
  MemoryFailureLog,
} from '../../src/background/webhooks/failure-log'
import { durableFailureLog } from '../../src/background/webhooks/failure-log-object'

const entry = (n: number, keyId = 'key_1'): FailedDelivery => ({
  id: `msg_${n}`,
  url: 'https://hooks.example.com/',
  type: 'image.job.completed',
  keyId,
  attempts: 9,
  reason: 'status',
  status: 500,
  createdAt: n,
  failedAt: n + 1,
})

const logs: [string, () => DeliveryFailureLog][] = [
  ['in memory', () => new MemoryFailureLog()],
  ['in its Durable Object', () => durableFailureLog(env.WEBHOOK_FAILURES)],
]

describe.each(logs)('the failure log %s', (_, make) => {
  it('lists the newest first, one entry per webhook-id, by key when asked', async () => {
    const log = make()
    const before = (await log.list()).length
    await log.record(entry(1))
    await log.record(entry(2, 'key_2'))
    await log.record(entry(3))
    await log.record({ ...entry(1), reason: 'gone', status: 410 })
    const all = await log.list()
    expect(all.length - before).toBe(3)
    expect(all.slice(0, 3).map((e) => [e.id, e.reason])).toEqual([
      ['msg_1', 'gone'],
      ['msg_3', 'status'],
      ['msg_2', 'status'],
    ])
    expect((await log.list({ keyId: 'key_2' })).map((e) => e.id)).toEqual(['msg_2'])
    expect(await log.list({ limit: 1 })).toEqual([{ ...entry(1), reason: 'gone', status: 410 }])
  })

  it(`keeps the newest ${MAX_FAILURE_ENTRIES}`, async () => {
    const log = make()
    for (let n = 0; n < MAX_FAILURE_ENTRIES + 5; n++) await log.record(entry(1000 + n, 'key_b'))
    const kept = await log.list()
    expect(kept).toHaveLength(MAX_FAILURE_ENTRIES)
    expect(kept[0]?.id).toBe(`msg_${1000 + MAX_FAILURE_ENTRIES + 4}`)
    expect(kept.at(-1)?.id).toBe('msg_1005')
  })
})
