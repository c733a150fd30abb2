/**
 * Webhooks end to end: a key made with a webhook_url gets its whsec_ secret once; a batch's end is
 * queued as a webhook, delivered by the worker's queue() signed the Standard Webhooks way, which
 * the openai SDK's webhooks.unwrap() verifies; a failing receiver sees the same webhook-id again,
 * and a delivery given up on (or dead-lettered) is listed for the operator.
 */
import OpenAI from 'openai'
import { describe, expect, it, vi } from 'vitest'
import { QUEUE_NAMES } from '../../src/background/queues'
import { WEBHOOK_MAX_ATTEMPTS } from '../../src/background/webhooks/schedule'
import { callGateway, fakeUpstream } from '../helpers/gateway'
import { ADMIN, createKey, errorOf, env as keysEnv } from '../helpers/keys'
import { CapturedQueue, deliver } from '../helpers/queues'
import { FakeReceiver, RECEIVER_HOST, RECEIVER_URL, type Scripted } from './receiver'

function setup(script: Scripted[] = []) {
  const fake = fakeUpstream()
  const upstream = globalThis.fetch
  const receiver = new FakeReceiver(script)
  vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    return new URL(request.url).hostname === RECEIVER_HOST
      ? receiver.answer(request)
      : upstream(request)
  })
  const items = new CapturedQueue()
  const webhooks = new CapturedQueue()
  const env = {
    ...keysEnv,
    WEBHOOK_URL_HOSTS: RECEIVER_HOST,
    BATCH_ITEMS: items.asQueue,
    WEBHOOKS: webhooks.asQueue,
  }
  return { fake, receiver, items, webhooks, env }
}

type Setup = ReturnType<typeof setup>

async function keyWithHook(s: Setup) {
  const made = await createKey({ name: 'server', kind: 'secret', webhook_url: RECEIVER_URL }, s.env)
  return made as typeof made & { webhook_secret: string; webhook_url: string }
}

/** Makes a batch with the key's default webhook and runs its items: the ending's message. */
async function finishedBatch(s: Setup, key: string) {
  const res = await callGateway('/v1/images/batches', {
    env: s.env,
    body: { items: [{ prompt: 'one' }, { prompt: 'two' }] },
    headers: { authorization: `Bearer ${key}` },
  })
  const { id } = (await res.json()) as { id: string }
  await deliver(QUEUE_NAMES.batchItems, s.items.take(), s.env)
  const sent = s.webhooks.take()
  expect(sent).toHaveLength(1)
  return { id, message: sent[0] as { id: string; type: string } }
}

function adminList(s: Setup, path: string) {
  return callGateway(path, { env: s.env, headers: { authorization: `Bearer ${ADMIN}` } })
}

describe('webhooks', () => {
  it('shows a key’s webhook_secret once, at creation, and refuses a private webhook_url', async () => {
    const s = setup()
    const made = await keyWithHook(s)
    expect(made.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(made.webhook_url).toBe(RECEIVER_URL)
    const listed = await (await adminList(s, '/v1/admin/keys')).text()
    expect(listed).toContain(RECEIVER_URL)
    expect(listed).not.toContain(made.webhook_secret)
    const refused = await callGateway('/v1/admin/keys', {
      env: s.env,
      body: { name: 'x', kind: 'secret', webhook_url: 'http://192.168.1.2/hook' },
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(refused.status).toBe(400)
    expect((await errorOf(refused)).param).toBe('webhook_url')
  })

  it('delivers a batch’s end signed, the same webhook-id on every retry, until the receiver takes it', async () => {
    const s = setup([{ status: 500 }, { status: 503 }])
    const made = await keyWithHook(s)
    const { id, message } = await finishedBatch(s, made.key)
    expect(message.type).toBe('image.batch.completed')
    for (const attempts of [1, 2]) {
      const result = await deliver(QUEUE_NAMES.webhooks, [message], s.env, attempts)
      expect(result.retryMessages).toHaveLength(1)
    }
    const last = await deliver(QUEUE_NAMES.webhooks, [message], s.env, 3)
    expect(last.explicitAcks).toHaveLength(1)
    const ids = s.receiver.received.map((r) => r.headers.get('webhook-id'))
    expect(ids).toEqual([message.id, message.id, message.id])
    const client = new OpenAI({ apiKey: 'unused', webhookSecret: made.webhook_secret })
    const delivered = s.receiver.received[2] as { headers: Headers; body: string }
    const event = await client.webhooks.unwrap(delivered.body, delivered.headers)
    expect(event).toMatchObject({
      id: message.id,
      type: 'image.batch.completed',
      data: { id, status: 'completed', counts: { completed: 2 } },
    })
    const stranger = new OpenAI({
      apiKey: 'unused',
      webhookSecret: `whsec_${btoa('x'.repeat(32))}`,
    })
    await expect(stranger.webhooks.unwrap(delivered.body, delivered.headers)).rejects.toThrow()
    expect(await (await adminList(s, '/v1/admin/webhooks/failures')).json()).toEqual({
      object: 'list',
      data: [],
    })
  })

  it('lists for the operator a webhook given up on, and one the queue dead-lettered', async () => {
    const s = setup([{ status: 500 }])
    const made = await keyWithHook(s)
    const { message } = await finishedBatch(s, made.key)
    const result = await deliver(QUEUE_NAMES.webhooks, [message], s.env, WEBHOOK_MAX_ATTEMPTS)
    expect(result.explicitAcks).toHaveLength(1)
    const res = await adminList(s, `/v1/admin/webhooks/failures?key_id=${made.id}`)
    expect(await res.json()).toMatchObject({
      data: [{ id: message.id, reason: 'status', status: 500, attempts: WEBHOOK_MAX_ATTEMPTS }],
    })
    await deliver(QUEUE_NAMES.deadLetters, [message], s.env)
    const after = (await (await adminList(s, '/v1/admin/webhooks/failures')).json()) as {
      data: { reason: string }[]
    }
    expect(after.data.map((entry) => entry.reason)).toEqual(['dead_lettered'])
  })
})
