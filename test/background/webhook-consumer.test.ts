/**
 * The webhooks queue's consumer against a fake receiver: 2xx acks, anything else retries with
 * the same webhook-id and a fresh signature, refused URLs and redirects are never called, a stalled
 * receiver times out, and a delivery given up on is written down for the operator.
 */
import { createMessageBatch } from 'cloudflare:test'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import {
  handleWebhookBatch,
  type WebhookConsumerDeps,
} from '../../src/background/webhooks/consumer'
import { MemoryFailureLog } from '../../src/background/webhooks/failure-log'
import { type WebhookMessage, webhookMessage } from '../../src/background/webhooks/message'
import { WEBHOOK_MAX_ATTEMPTS } from '../../src/background/webhooks/schedule'
import { newWebhookSecret } from '../../src/background/webhooks/signing'
import {
  FakeReceiver,
  installReceiver,
  queueResult,
  RECEIVER_HOSTS,
  RECEIVER_URL,
  type Scripted,
  spyBatch,
  spyMessage,
  verifyStandardWebhook,
} from './receiver'

const SECRET = newWebhookSecret()
const T0 = Date.now()

function message(url = RECEIVER_URL, subject = 'job_42'): WebhookMessage {
  return webhookMessage({
    subject,
    type: 'image.job.completed',
    data: { id: 'job_42', status: 'completed' },
    url,
    keyId: 'key_1',
    now: T0,
  })
}

function deps(overrides: Partial<WebhookConsumerDeps> = {}) {
  const log = new MemoryFailureLog()
  return {
    log,
    secrets: async (keyId: string) => (keyId === 'key_1' ? [SECRET] : []),
    hosts: RECEIVER_HOSTS,
    ownHost: 'gw.example.com',
    random: () => 0,
    ...overrides,
  } satisfies WebhookConsumerDeps
}

/** Runs one attempt of `body` through the consumer, as the queue would deliver it. */
async function attempt(body: unknown, attempts: number, d: WebhookConsumerDeps, now = T0) {
  const batch = createMessageBatch('gw-webhooks', [
    { id: 'q1', timestamp: new Date(T0), attempts, body },
  ])
  await handleWebhookBatch(batch, { ...d, now: () => now })
  return queueResult(batch)
}

/** One attempt with a spy message, to see the retry's delay. */
async function spied(body: unknown, attempts: number, d: WebhookConsumerDeps) {
  const spy = spyMessage(body, attempts)
  await handleWebhookBatch(spyBatch('gw-webhooks', [spy]), d)
  return spy
}

describe('the webhooks consumer', () => {
  it('retries failed deliveries with the same webhook-id, each signed anew, until a 2xx', async () => {
    const receiver = installReceiver(new FakeReceiver([{ status: 500 }, { networkError: true }]))
    const d = deps()
    const sent = message()
    const times = [T0, T0 + 10_000, T0 + 60_000]
    const results = []
    for (const [i, now] of times.entries()) results.push(await attempt(sent, i + 1, d, now))

    expect(results.map((r) => [r.explicitAcks, r.retryMessages])).toEqual([
      [[], [{ msgId: 'q1' }]],
      [[], [{ msgId: 'q1' }]],
      [['q1'], []],
    ])
    expect(receiver.received).toHaveLength(3)
    const ids = receiver.received.map((r) => r.headers.get('webhook-id'))
    expect(new Set(ids)).toEqual(new Set([sent.id]))
    const stamps = receiver.received.map((r) => Number(r.headers.get('webhook-timestamp')))
    expect(stamps).toEqual(times.map((t) => Math.floor(t / 1000)))
    const client = new OpenAI({ apiKey: 'unused', webhookSecret: SECRET })
    for (const [i, r] of receiver.received.entries()) {
      expect(r.method).toBe('POST')
      expect(r.body).toBe(sent.body)
      const nowSeconds = Math.floor((times[i] as number) / 1000)
      expect(await verifyStandardWebhook(SECRET, r.headers, r.body, nowSeconds)).toBe(true)
    }
    const last = receiver.received[2] as { headers: Headers; body: string }
    expect(await client.webhooks.unwrap(last.body, last.headers, SECRET, 3600)).toMatchObject({
      id: sent.id,
      type: 'image.job.completed',
    })
    expect(await d.log.list()).toEqual([])
  })

  it('waits by the schedule, or longer when the receiver says Retry-After', async () => {
    installReceiver(
      new FakeReceiver([{ status: 503 }, { status: 429, headers: { 'retry-after': '600' } }]),
    )
    expect((await spied(message(), 3, deps())).retried).toEqual({ delaySeconds: 160 })
    expect((await spied(message(), 1, deps())).retried).toEqual({ delaySeconds: 600 })
  })

  it('writes a delivery down and stops after the last attempt fails', async () => {
    installReceiver(new FakeReceiver([{ status: 502 }]))
    const d = deps()
    const result = await attempt(message(), WEBHOOK_MAX_ATTEMPTS, d)
    expect(result.explicitAcks).toEqual(['q1'])
    expect(await d.log.list()).toEqual([
      expect.objectContaining({
        id: message().id,
        attempts: WEBHOOK_MAX_ATTEMPTS,
        reason: 'status',
        status: 502,
        keyId: 'key_1',
      }),
    ])
  })

  it.each<[string, Scripted[], string]>([['410 Gone', [{ status: 410 }], 'gone']])(
    'gives up at once on %s',
    async (_, script, reason) => {
      installReceiver(new FakeReceiver(script))
      const d = deps()
      expect((await attempt(message(), 1, d)).explicitAcks).toEqual(['q1'])
      expect((await d.log.list())[0]?.reason).toBe(reason)
    },
  )

  it.each([
    ['http://127.0.0.1/hook', 'refused_url:scheme'],
    ['https://127.0.0.1/hook', 'refused_url:not_listed'],
    ['https://hooks.example.com/hook', 'refused_url:not_listed'],
    ['http://user:pw@hooks.receiver.test/hook', 'refused_url:userinfo'],
  ])('never calls %s, a URL the operator did not allow', async (url, reason) => {
    const receiver = installReceiver()
    const d = deps()
    expect((await attempt(message(url), 1, d)).explicitAcks).toEqual(['q1'])
    expect(receiver.received).toEqual([])
    expect((await d.log.list())[0]?.reason).toBe(reason)
  })

  it('judges receivers by the public rules when no hosts are listed', async () => {
    installReceiver()
    const d = deps({ hosts: null })
    const urls = ['https://10.0.0.1/', 'https://intranet.local/', 'https://gw.example.com/x']
    for (const [i, url] of urls.entries()) {
      expect((await attempt(message(url, `job_${i}`), 1, d)).explicitAcks).toEqual(['q1'])
    }
    expect((await d.log.list()).map((e) => e.reason)).toEqual([
      'refused_url:own_host',
      'refused_url:private_name',
      'refused_url:ip_literal',
    ])
  })

  it('follows a 307 or 308 to an allowed host with the same signed POST', async () => {
    const receiver = installReceiver(
      new FakeReceiver([
        { status: 307, headers: { location: 'http://other.receiver.test/moved' } },
        { status: 308, headers: { location: '/again' } },
      ]),
    )
    expect((await attempt(message(), 1, deps())).explicitAcks).toEqual(['q1'])
    expect(receiver.received.map((r) => [r.method, r.url])).toEqual([
      ['POST', RECEIVER_URL],
      ['POST', 'http://other.receiver.test/moved'],
      ['POST', 'http://other.receiver.test/again'],
    ])
    const signatures = new Set(receiver.received.map((r) => r.headers.get('webhook-signature')))
    expect(signatures.size).toBe(1)
  })

  it.each([
    ['a disallowed host', 307, 'http://169.254.169.254/latest/meta-data/'],
    ['a public host not listed', 308, 'https://hooks.example.com/'],
    ['a redirect that turns the POST into a GET', 302, 'http://other.receiver.test/'],
    ['a redirect with no Location', 307, null],
  ])('never follows a redirect to %s: the attempt failed', async (_, status, location) => {
    const headers: Record<string, string> = location ? { location } : {}
    const receiver = installReceiver(new FakeReceiver([{ status, headers }]))
    const spy = await spied(message(), 1, deps())
    expect(spy.retried).toEqual({ delaySeconds: 10 })
    expect(receiver.received.map((r) => r.url)).toEqual([RECEIVER_URL])
  })

  it('stops following after 3 redirects', async () => {
    const hop = { status: 307, headers: { location: RECEIVER_URL } }
    const receiver = installReceiver(new FakeReceiver([hop, hop, hop, hop]))
    expect((await spied(message(), 1, deps())).retried).not.toBeNull()
    expect(receiver.received).toHaveLength(4)
  })

  it('gives a stalled receiver up after the timeout, and tries again later', async () => {
    const receiver = installReceiver(new FakeReceiver([{ stall: true }, { stall: true }]))
    const d = deps({ timeoutMs: 5 })
    const result = await attempt(message(), 1, d)
    expect(result.retryMessages).toEqual([{ msgId: 'q1' }])
    const last = await attempt(message(), WEBHOOK_MAX_ATTEMPTS, d)
    expect(last.explicitAcks).toEqual(['q1'])
    expect((await d.log.list())[0]?.reason).toBe('timeout')
    expect(receiver.received).toHaveLength(2)
  })

  it('writes a delivery down unsent when its key has no secret (deleted or revoked)', async () => {
    const receiver = installReceiver()
    const d = deps({ secrets: async () => [] })
    expect((await attempt(message(), 2, d)).explicitAcks).toEqual(['q1'])
    expect(receiver.received).toEqual([])
    expect(await d.log.list()).toEqual([
      expect.objectContaining({ reason: 'no_secret', attempts: 1 }),
    ])
  })

  it('drops a message that is not a webhook, calling nobody', async () => {
    const receiver = installReceiver()
    for (const body of [null, { kind: 'webhook' }, { ...message(), id: 'has.dot' }]) {
      expect((await attempt(body, 1, deps())).explicitAcks).toEqual(['q1'])
    }
    expect(receiver.received).toEqual([])
  })

  it("retries when the log or the key's secrets cannot be reached", async () => {
    installReceiver(new FakeReceiver([{ status: 410 }]))
    const broken = deps({ secrets: async () => Promise.reject(new Error('down')) })
    expect((await spied(message(), 1, broken)).retried).toEqual({ delaySeconds: 10 })
    const log = { record: () => Promise.reject(new Error('down')), list: async () => [] }
    expect((await spied(message(), 1, deps({ log }))).retried).toEqual({ delaySeconds: 10 })
  })

  it('acks and retries each message of a batch on its own', async () => {
    const receiver = installReceiver(new FakeReceiver([{ status: 500 }]))
    const [a, b] = [spyMessage(message(), 1, 'a'), spyMessage(message(), 1, 'b')]
    await handleWebhookBatch(spyBatch('gw-webhooks', [a, b]), deps())
    expect([a, b].filter((m) => m.acked)).toHaveLength(1)
    expect([a, b].filter((m) => m.retried)).toHaveLength(1)
    expect(receiver.received).toHaveLength(2)
  })
})
