/**
 * Batch items with UPSTREAMS set go through the pool's capacity like any miss: a batch above the
 * pool's per-minute capacity waits for it and completes, with no failed or retried item and no
 * upstream 429, against fakes that enforce their limits. Fake Date moves the minutes; the pool's
 * alarm is run by hand whenever an item waits.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env as testEnv } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { QUEUE_NAMES } from '../../src/background/queues'
import { POOL_OBJECT_NAME, type UpstreamPool } from '../../src/pool/upstream-pool'
import type { CapacitySpec } from '../../src/pool-config/entry'
import { FAKE_UPSTREAM_URL } from '../fakes/upstream'
import { callGateway, settled } from '../helpers/gateway'
import { ADMIN, createKey } from '../helpers/keys'
import { poolFakes } from '../helpers/pool'
import { CapturedQueue, deliver } from '../helpers/queues'

afterEach(() => {
  vi.useRealTimers()
})

const poolObject = () =>
  testEnv.UPSTREAM_POOL.get(testEnv.UPSTREAM_POOL.idFromName(POOL_OBJECT_NAME))
const PER_MINUTE = 2

describe('a batch through the pool', () => {
  it('above the capacity: every item completes, no retry, no upstream 429', async () => {
    // Before the fakes: the Azure fake's own minute reads this clock too.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const fakes = poolFakes({
      openaiPerMinute: PER_MINUTE,
      azurePerMinute: PER_MINUTE,
      azureLimit: PER_MINUTE,
    })
    // The OpenAI-kind fake enforces its minute too: a call beyond it is a 429.
    const openaiAdmitted: number[] = []
    let openai429s = 0
    const toFakes = globalThis.fetch
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init)
      if (request.url.startsWith(`${FAKE_UPSTREAM_URL}/`)) {
        const now = Date.now()
        if (openaiAdmitted.filter((at) => at > now - 60_000).length >= PER_MINUTE) {
          openai429s++
          return Response.json(
            {
              error: {
                message: 'Rate limit reached',
                type: 'requests',
                code: 'rate_limit_exceeded',
              },
            },
            { status: 429, headers: { 'retry-after': '60' } },
          )
        }
        openaiAdmitted.push(now)
      }
      return toFakes(request)
    })
    const items = new CapturedQueue()
    const env = fakes.env(['azure', 'openai'], {
      ADMIN_TOKEN: ADMIN,
      UPSTREAM_QUEUE_TIMEOUT_MS: '600000',
      BATCH_ITEMS: items.asQueue,
      WEBHOOKS: new CapturedQueue().asQueue,
    })
    const { key } = await createKey({ name: 'batch', kind: 'secret', balance_usd: 10 }, env)
    const total = 10
    const body = {
      items: Array.from({ length: total }, (_, i) => ({
        model: 'gpt-image-1',
        prompt: `batch item ${i} ${crypto.randomUUID()}`,
      })),
    }
    const submitted = await callGateway('/v1/images/batches', {
      env,
      body,
      headers: { authorization: `Bearer ${key}` },
    })
    expect(submitted.status).toBe(202)
    const { id } = (await submitted.json()) as { id: string }

    // Every item at once, against 4 images a minute: those beyond it wait in the pool's queue,
    // and each minute the test moves on frees the next.
    let done = false
    const consumed = deliver(QUEUE_NAMES.batchItems, items.take(), env).finally(() => {
      done = true
    })
    const specs: CapacitySpec[] = [
      { name: fakes.names.azure, weight: 1, imagesPerMinute: PER_MINUTE, imagesPer10s: 1 },
      { name: fakes.names.openai, weight: 1, imagesPerMinute: PER_MINUTE, imagesPer10s: null },
    ]
    let minutes = 0
    for (let poll = 0; poll < 2000 && !done; poll++) {
      const views = await runInDurableObject(poolObject(), (pool: UpstreamPool) =>
        pool.snapshot(specs),
      )
      if (views.some((view) => view.queue_length > 0)) {
        minutes++
        vi.setSystemTime(Date.now() + 61_000)
        await runDurableObjectAlarm(poolObject())
      } else await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const result = await consumed
    expect(result.retryMessages).toEqual([])
    expect(result.explicitAcks).toHaveLength(total)
    // Azure is given a sixth of its minute per 10 s (1 image), so each step serves 3: 3, 3, 3, 1.
    expect(minutes).toBe(3)

    const res = await callGateway(`/v1/images/batches/${id}`, {
      env,
      headers: { authorization: `Bearer ${key}` },
    })
    const batch = (await res.json()) as { status: string; counts: Record<string, number> }
    expect(batch).toMatchObject({ status: 'completed', counts: { completed: total, failed: 0 } })
    const served = fakes.azure.calls.filter((call) => call.answered === 200).length
    expect(served + openaiAdmitted.length).toBe(total)
    expect(served).toBeGreaterThan(0)
    expect(openaiAdmitted.length).toBeGreaterThan(0)
    expect(fakes.azure.rateLimited).toBe(0)
    expect(openai429s).toBe(0)
    await settled()
  })
})
