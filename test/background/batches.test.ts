/**
 * Batches end to end: POST /v1/images/batches checks every item (a bad one is a 400 naming it and
 * nothing is queued), the items run through the worker's queue() on the real gateway core (cached
 * items skipped at no cost, an identical generation in flight joined, misses paid, the batch's cap
 * and the key's balance stopping items as cancelled_budget, failures counted with their codes),
 * and only the key that made a batch reads or cancels it.
 */
import { env as baseEnv } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { QUEUE_NAMES } from '../../src/background/queues'
import { signedEmbedUrl } from '../../src/embed/signing'
import type { Bindings } from '../../src/env'
import type { GenerationCoordinator } from '../../src/generation/coordinator'
import { listRequests } from '../../src/log/requests'
import { errorReply, gate, imageStreamFrames } from '../fakes/upstream'
import { callGateway, fakeUpstream, GATEWAY_URL, settled } from '../helpers/gateway'
import { createKey, errorOf, gen, env as keysEnv, usage } from '../helpers/keys'
import { CapturedQueue, deliver } from '../helpers/queues'

type Batch = {
  id: string
  status: string
  total: number
  counts: Record<string, number>
  cost_usd: number
  failures: { index: number; code: string }[]
}

function queues() {
  const items = new CapturedQueue()
  const webhooks = new CapturedQueue()
  const env = { ...keysEnv, BATCH_ITEMS: items.asQueue, WEBHOOKS: webhooks.asQueue }
  return { items, webhooks, env }
}

type Env = Partial<Bindings>

function submit(key: string, body: unknown, env: Env) {
  return callGateway('/v1/images/batches', {
    env,
    body,
    headers: { authorization: `Bearer ${key}` },
  })
}

async function read(key: string, id: string, env: Env, action = '') {
  return callGateway(`/v1/images/batches/${id}${action}`, {
    env,
    method: action ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${key}` },
  })
}

async function view(key: string, id: string, env: Env): Promise<Batch> {
  const res = await read(key, id, env)
  expect(res.status).toBe(200)
  return (await res.json()) as Batch
}

/** Runs every queued item through the worker's queue(), as one delivery. */
async function runItems(q: ReturnType<typeof queues>, env: Env = q.env) {
  return deliver(QUEUE_NAMES.batchItems, q.items.take(), env)
}

describe('POST /v1/images/batches', () => {
  it('answers 202 with the batch, queues one message per item, and shows it queued', async () => {
    const fake = fakeUpstream()
    const q = queues()
    const { key } = await createKey({ name: 'site', kind: 'secret' })
    const res = await submit(key, { items: [{ prompt: 'a' }, { prompt: 'b', n: 2 }] }, q.env)
    expect(res.status).toBe(202)
    const accepted = (await res.json()) as {
      id: string
      status: string
      total: number
      url: string
    }
    expect(accepted).toMatchObject({ status: 'queued', total: 2 })
    expect(accepted.url).toBe(`https://gateway.test/v1/images/batches/${accepted.id}`)
    expect(res.headers.get('location')).toBe(accepted.url)
    expect(q.items.bodies).toHaveLength(2)
    expect(q.items.bodies[1]).toMatchObject({ index: 1, item: { kind: 'request' } })
    expect((await view(key, accepted.id, q.env)).counts.queued).toBe(2)
    expect(fake.calls).toEqual([])
    q.items.take()
  })

  it.each([
    [{ items: [{ prompt: 'ok' }, { prompt: 'x', size: '7x7' }] }, 'items[1].size'],
    [{ items: [{ prompt: 'ok' }, { promt: 'typo' }] }, 'items[1].prompt'],
    [{ items: [{ prompt: 'ok' }, { prompt: 'x', colour: 'red' }] }, 'items[1].colour'],
    [{ items: [{ url: '/v1/images/embed?prompt=x&size=9x9' }] }, 'items[0].url.size'],
    [{ items: [{ url: '/v1/images/generations?prompt=x' }] }, 'items[0].url'],
    [{ items: [] }, 'items'],
    [{ items: [{ prompt: 'ok' }], webhook_url: 'http://10.0.0.1/hook' }, 'webhook_url'],
  ])('refuses %j with a 400 naming %s, queueing nothing', async (body, param) => {
    const fake = fakeUpstream()
    const q = queues()
    const { key } = await createKey({ name: 'site', kind: 'secret' })
    const res = await submit(key, body, q.env)
    expect(res.status).toBe(400)
    expect((await errorOf(res)).param).toBe(param)
    expect(q.items.bodies).toEqual([])
    expect(fake.calls).toEqual([])
  })

  it('refuses more than 1,000 items', async () => {
    fakeUpstream()
    const q = queues()
    const { key } = await createKey({ name: 'site', kind: 'secret' })
    const items = Array.from({ length: 1001 }, (_, i) => ({ prompt: `p${i}` }))
    const res = await submit(key, { items }, q.env)
    expect(res.status).toBe(400)
    expect((await errorOf(res)).param).toBe('items')
    expect(q.items.bodies).toEqual([])
  })

  it('shows a batch only to the key that made it', async () => {
    fakeUpstream()
    const q = queues()
    const owner = await createKey({ name: 'owner', kind: 'secret' })
    const other = await createKey({ name: 'other', kind: 'secret' })
    const res = await submit(owner.key, { items: [{ prompt: 'mine' }] }, q.env)
    const { id } = (await res.json()) as { id: string }
    expect((await read(other.key, id, q.env)).status).toBe(404)
    expect((await read(other.key, id, q.env, '/cancel')).status).toBe(404)
    expect((await read(owner.key, 'batch_nope', q.env)).status).toBe(404)
    expect((await view(owner.key, id, q.env)).status).toBe('queued')
    q.items.take()
  })
})

describe('batch items through the queue consumer', () => {
  it('skips a cached item at no cost, pays a miss, and counts a failure with its code', async () => {
    const fake = fakeUpstream()
    const q = queues()
    const { key } = await createKey({ name: 'site', kind: 'secret', balance_usd: 1 })
    await (await gen(key, { prompt: 'already made' })).arrayBuffer()
    await settled()
    fake.reply(
      { kind: 'success' },
      errorReply(400, { code: 'moderation_blocked', type: 'image_generation_user_error' }),
    )
    const items = [{ prompt: 'already made' }, { prompt: 'new one' }, { prompt: 'blocked one' }]
    const { id } = (await (await submit(key, { items }, q.env)).json()) as { id: string }
    const before = await usage(key)
    const result = await runItems(q)
    expect(result.explicitAcks).toHaveLength(3)
    expect(fake.calls).toHaveLength(3)
    const batch = await view(key, id, q.env)
    expect(batch).toMatchObject({
      status: 'completed',
      counts: { skipped_cached: 1, completed: 1, failed: 1, queued: 0, in_progress: 0 },
      failures: [{ index: 2, code: 'moderation_blocked' }],
    })
    const after = await usage(key)
    expect(batch.cost_usd).toBeGreaterThan(0)
    expect(after.spent_usd as number).toBeCloseTo((before.spent_usd as number) + batch.cost_usd, 9)
  })

  it('joins an identical generation in flight, and stops what the cap cannot hold', async () => {
    const release = gate()
    const fake = fakeUpstream()
    const q = queues()
    const { key } = await createKey({ name: 'site', kind: 'secret', balance_usd: 1 })
    await (await gen(key, { prompt: 'cached' })).arrayBuffer()
    await settled()
    fake.reply({
      kind: 'sse',
      frames: imageStreamFrames(1),
      hold: { after: 1, until: release.opened },
    })
    const running = await gen(key, { prompt: 'in flight', stream: true, partial_images: 1 })
    const items = [{ prompt: 'cached' }, { prompt: 'in flight' }, { prompt: 'too dear' }]
    const body = { items, max_cost_usd: 0 }
    const { id } = (await (await submit(key, body, q.env)).json()) as { id: string }
    // The item joins the owner of 'in flight' before its upstream answer is let go.
    const joined = gate()
    const consumed = runItems(q, { ...q.env, GENERATIONS: watchedOwners(joined.open) })
    await joined.opened
    release.open()
    await running.arrayBuffer()
    await consumed
    expect(fake.calls).toHaveLength(2)
    const batch = await view(key, id, q.env)
    expect(batch.counts).toMatchObject({ skipped_cached: 1, completed: 1, cancelled_budget: 1 })
    expect(batch.cost_usd).toBe(0)
    // Each item's request-log row: the joiner's written by the owner too, with what it spared.
    await settled()
    const logged = (await listRequests(baseEnv.USAGE, { limit: 50 })).data
    const rows = Object.fromEntries(
      logged.filter((r) => r.kind === 'batch').map((r) => [r.prompt, r]),
    )
    expect(rows.cached).toMatchObject({ cache: 'HIT', status: 200, chargedMicros: 0 })
    expect(rows['in flight']).toMatchObject({ cache: 'JOIN', status: 200, chargedMicros: 0 })
    expect(rows['in flight']?.savedMicros).toBeGreaterThan(0)
    expect(rows['in flight']?.images).toHaveLength(1)
    expect(rows['too dear']).toMatchObject({ status: 402, code: 'cancelled_budget' })
  })

  it('warms a signed embed URL: its first visit is answered from the cache', async () => {
    const fake = fakeUpstream()
    const q = queues()
    const env = { ...q.env, EMBED_SIGNING_SECRET: 'embed-secret-for-tests' }
    const { key } = await createKey({ name: 'site', kind: 'secret' })
    const params = new URLSearchParams({ prompt: 'a lighthouse at dusk', size: '1024x1024' })
    const url = await signedEmbedUrl(GATEWAY_URL, env.EMBED_SIGNING_SECRET, params)
    const forged = url.replace('lighthouse', 'lamppost')
    const refused = await submit(key, { items: [{ url: forged }] }, env)
    expect(refused.status).toBe(403)
    expect((await errorOf(refused)).param).toBe('items[0].url')
    const res = await submit(key, { items: [{ url }] }, env)
    const { id } = (await res.json()) as { id: string }
    await runItems(q, env)
    expect(fake.calls).toHaveLength(1)
    expect((await view(key, id, env)).counts.completed).toBe(1)
    const visit = await callGateway(url.slice(GATEWAY_URL.length), { env })
    expect(visit.status).toBe(302)
    expect(visit.headers.get('x-cache')).toBe('HIT')
    expect(fake.calls).toHaveLength(1)
  })

  it("stops items the key's balance cannot pay as cancelled_budget", async () => {
    const fake = fakeUpstream()
    const q = queues()
    const { key } = await createKey({ name: 'poor', kind: 'secret', balance_usd: 0.01 })
    const { id } = (await (await submit(key, { items: [{ prompt: 'x' }] }, q.env)).json()) as {
      id: string
    }
    await runItems(q)
    expect(fake.calls).toEqual([])
    expect((await view(key, id, q.env)).counts.cancelled_budget).toBe(1)
  })

  it('runs nothing more once cancelled, and announces the end to the webhook queue', async () => {
    const fake = fakeUpstream()
    const q = queues()
    const hooks = { ...q.env, WEBHOOK_URL_HOSTS: 'hooks.receiver.test' }
    const { key } = await createKey({ name: 'site', kind: 'secret' })
    const body = {
      items: [{ prompt: 'a' }, { prompt: 'b' }],
      webhook_url: 'http://hooks.receiver.test/x',
    }
    const { id } = (await (await submit(key, body, hooks)).json()) as { id: string }
    const cancel = await read(key, id, hooks, '/cancel')
    expect(cancel.status).toBe(200)
    expect(((await cancel.json()) as Batch).counts.cancelled).toBe(2)
    expect(q.webhooks.take()).toMatchObject([
      { type: 'image.batch.cancelled', url: body.webhook_url },
    ])
    await runItems(q, hooks)
    expect(fake.calls).toEqual([])
    expect(q.webhooks.bodies).toEqual([])
  })
})

/**
 * The GENERATIONS namespace, calling `onSettle` once a batch item's settle() has reached its owner
 * (a later call on the same stub has been answered, and calls on a stub arrive in order).
 */
function watchedOwners(onSettle: () => void): DurableObjectNamespace<GenerationCoordinator> {
  const namespace = baseEnv.GENERATIONS
  return new Proxy(namespace, {
    get(target, property) {
      if (property !== 'get') {
        const value = Reflect.get(target, property)
        return typeof value === 'function' ? value.bind(target) : value
      }
      return (id: DurableObjectId) => {
        const stub = target.get(id)
        return new Proxy(stub, {
          get(inner, name) {
            if (name !== 'settle') return Reflect.get(inner, name)
            return (...args: Parameters<GenerationCoordinator['settle']>) => {
              const result = inner.settle(...args)
              void inner.failureOf('none').then(onSettle)
              return result
            }
          },
        })
      }
    },
  })
}
