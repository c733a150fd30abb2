/**
 * Batch items and async jobs write request-log rows like any request (issue 21's one row per
 * request that reached the core): kind `batch` or `job`, the key, the cache state, the money,
 * the upstream, the pictures and the prompt; usage sums still equal the ledgers'.
 */
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { QUEUE_NAMES } from '../../src/background/queues'
import { listRequests } from '../../src/log/requests'
import type { RequestRow } from '../../src/log/row'
import { usage as usageReport } from '../../src/log/usage'
import { errorReply } from '../fakes/upstream'
import { callGateway, fakeUpstream, settled } from '../helpers/gateway'
import { createKey, FAKE_COST, gen, env as keysEnv, usage } from '../helpers/keys'
import { CapturedQueue, deliver } from '../helpers/queues'

const COST_MICROS = Math.round(FAKE_COST * 1_000_000)

async function rows(): Promise<RequestRow[]> {
  await settled()
  return (await listRequests(bindings.USAGE, { limit: 200 })).data.toReversed()
}

function queues() {
  const items = new CapturedQueue()
  const runs = new CapturedQueue()
  const webhooks = new CapturedQueue()
  const env = {
    ...keysEnv,
    BATCH_ITEMS: items.asQueue,
    JOB_RUNS: runs.asQueue,
    WEBHOOKS: webhooks.asQueue,
  }
  return { items, runs, env }
}

describe('request-log rows of background work', () => {
  it('a batch of a cached, a new and a failing item: one row each, and sums equal the ledger', async () => {
    const fake = fakeUpstream()
    const q = queues()
    const key = await createKey({ name: 'site', kind: 'secret', balance_usd: 1 }, q.env)
    await (await gen(key.key, { prompt: 'already made' }, {}, q.env)).arrayBuffer()
    await settled()
    const [made] = await rows()
    fake.reply(
      { kind: 'success' },
      errorReply(400, { code: 'moderation_blocked', type: 'image_generation_user_error' }),
    )
    const items = [{ prompt: 'already made' }, { prompt: 'new one' }, { prompt: 'blocked one' }]
    const submitted = await callGateway('/v1/images/batches', {
      env: q.env,
      body: { items },
      headers: { authorization: `Bearer ${key.key}` },
    })
    const { id } = (await submitted.json()) as { id: string }
    await deliver(QUEUE_NAMES.batchItems, q.items.take(), q.env)
    const logged = (await rows()).filter((r) => r.kind === 'batch')
    const byId = Object.fromEntries(logged.map((r) => [r.id, r]))
    expect(Object.keys(byId).sort()).toEqual([`${id}:0:1`, `${id}:1:1`, `${id}:2:1`])
    expect(byId[`${id}:0:1`]).toMatchObject({
      keyId: key.id,
      cache: 'HIT',
      status: 200,
      chargedMicros: 0,
      savedMicros: COST_MICROS,
      upstream: null,
      images: made?.images,
      prompt: 'already made',
      model: 'gpt-image-1',
    })
    expect(byId[`${id}:1:1`]).toMatchObject({
      keyId: key.id,
      cache: 'MISS',
      status: 200,
      code: null,
      chargedMicros: COST_MICROS,
      costMicros: COST_MICROS,
      upstream: 'default',
      prompt: 'new one',
    })
    expect(byId[`${id}:1:1`]?.images).toEqual([expect.stringMatching(/^[0-9a-f]{32}\.png$/)])
    expect(byId[`${id}:2:1`]).toMatchObject({
      cache: 'MISS',
      status: 400,
      code: 'moderation_blocked',
      chargedMicros: 0,
      costMicros: 0,
      images: [],
      prompt: 'blocked one',
    })
    const report = await usageReport(bindings.USAGE, {
      from: 0,
      to: Date.now() + 1,
      groupBy: 'key',
    })
    const ledger = await usage(key.key, q.env)
    const mine = report.find((r) => 'key_id' in r && r.key_id === key.id)
    expect(mine?.cost_usd).toBe(ledger.spent_usd)
    expect(mine?.saved_usd).toBe(ledger.saved_usd)
    expect(mine?.cache_hits).toBe(ledger.cache_hits)
  })

  it('an item the batch’s cap stops is a 402 cancelled_budget row that paid nothing', async () => {
    const fake = fakeUpstream()
    const q = queues()
    const key = await createKey({ name: 'site', kind: 'secret', balance_usd: 1 }, q.env)
    const submitted = await callGateway('/v1/images/batches', {
      env: q.env,
      body: { items: [{ prompt: 'too dear' }], max_cost_usd: 0 },
      headers: { authorization: `Bearer ${key.key}` },
    })
    const { id } = (await submitted.json()) as { id: string }
    await deliver(QUEUE_NAMES.batchItems, q.items.take(), q.env)
    expect(fake.calls).toHaveLength(0)
    const [row] = (await rows()).filter((r) => r.kind === 'batch')
    expect(row).toMatchObject({
      id: `${id}:0:1`,
      status: 402,
      code: 'cancelled_budget',
      cache: 'MISS',
      chargedMicros: 0,
    })
  })

  it('an async job: its 202 request row, then its run’s row with the money', async () => {
    fakeUpstream()
    const q = queues()
    const key = await createKey({ name: 'server', kind: 'secret', balance_usd: 1 }, q.env)
    const res = await gen(key.key, { prompt: 'a slow picture' }, { prefer: 'respond-async' }, q.env)
    expect(res.status).toBe(202)
    const jobId = (res.headers.get('location') ?? '').split('/').at(-1)
    await deliver(QUEUE_NAMES.jobs, q.runs.take(), q.env)
    const logged = await rows()
    expect(logged.map((r) => [r.kind, r.status, r.cache])).toEqual([
      ['generation', 202, null],
      ['job', 200, 'MISS'],
    ])
    expect(logged[0]).toMatchObject({ chargedMicros: 0, prompt: 'a slow picture' })
    expect(logged[1]).toMatchObject({
      id: `${jobId}:1`,
      keyId: key.id,
      chargedMicros: COST_MICROS,
      upstream: 'default',
      prompt: 'a slow picture',
    })
    const again = await gen(
      key.key,
      { prompt: 'a slow picture' },
      { prefer: 'respond-async' },
      q.env,
    )
    expect(again.status).toBe(202)
    const last = (await rows()).at(-1)
    expect(last).toMatchObject({ kind: 'generation', status: 202, cache: 'HIT' })
    expect(last?.savedMicros).toBe(COST_MICROS)
  })
})
