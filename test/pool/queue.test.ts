/**
 * Waiting for capacity in the owner: a burst above a declared capacity queues and every request
 * completes as capacity frees (the pool's clock moved by fake Date, its alarm run by hand), with
 * no upstream 429; a rate-limited upstream is waited out, stream clients getting keep-alives;
 * past UPSTREAM_QUEUE_TIMEOUT_MS a 429 with the pool's own Retry-After.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { POOL_OBJECT_NAME, type UpstreamPool } from '../../src/pool/upstream-pool'
import type { CapacitySpec } from '../../src/pool-config/entry'
import { generate, settled } from '../helpers/gateway'
import { poolFakes } from '../helpers/pool'
import { readEvents } from '../helpers/sse'

afterEach(() => {
  vi.useRealTimers()
})

const prompt = (label: string) => `${label} ${crypto.randomUUID()}`
const poolObject = () => env.UPSTREAM_POOL.get(env.UPSTREAM_POOL.idFromName(POOL_OBJECT_NAME))

/** Waits (by polling the object, no clock) until `count` requests wait for `spec`. */
async function queued(spec: CapacitySpec, count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [view] = await runInDurableObject(poolObject(), (pool: UpstreamPool) =>
      pool.snapshot([spec]),
    )
    if (view?.queue_length === count) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`never ${count} waiting`)
}

describe('waiting for capacity', () => {
  it('queues a burst above the declared capacity, and all complete without an upstream 429', async () => {
    const fakes = poolFakes({ openaiPerMinute: 1 })
    const spec = { name: fakes.names.openai, weight: 1, imagesPerMinute: 1, imagesPer10s: null }
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const environment = fakes.env(['openai'], { UPSTREAM_QUEUE_TIMEOUT_MS: '300000' })
    const first = await generate(
      { model: 'gpt-image-1', prompt: prompt('1') },
      { env: environment },
    )
    expect(first.status).toBe(200)
    const rest = [2, 3].map((i) =>
      generate({ model: 'gpt-image-1', prompt: prompt(String(i)) }, { env: environment }),
    )
    await queued(spec, 2)
    expect(fakes.openai.calls).toHaveLength(1)
    for (const expected of [2, 3]) {
      vi.setSystemTime(Date.now() + 61_000)
      expect(await runDurableObjectAlarm(poolObject())).toBe(true)
      const res = await rest[expected - 2]
      expect(res?.status).toBe(200)
      expect(fakes.openai.calls).toHaveLength(expected)
    }
    await settled()
  })

  it('waits out a 429 of its only upstream; a stream client gets keep-alives meanwhile', async () => {
    // A declared capacity: the cool-down alone holds it back (no figure is learned from the 429).
    const fakes = poolFakes({ azurePerMinute: 60 })
    fakes.azure.reply({
      kind: 'json',
      status: 429,
      body: { error: { code: '429', message: 'x' } },
      headers: { 'retry-after-ms': '400' },
    })
    const res = await generate(
      { model: 'gpt-image-1', prompt: prompt('k'), stream: true, partial_images: 1 },
      { env: fakes.env(['azure'], { SSE_KEEPALIVE_MS: '1' }) },
    )
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain(': keep-alive')
    const events = await readEvents(new Response(text))
    expect(events.map((event) => event.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(fakes.azure.calls).toHaveLength(2)
  })

  it('answers 429 with the pool’s Retry-After past the queue timeout, stream or not', async () => {
    const fakes = poolFakes({ azurePerMinute: 60 })
    const limited = {
      kind: 'json',
      status: 429,
      body: { error: { code: '429', message: 'x' } },
      headers: { 'retry-after': '30' },
    } as const
    fakes.azure.reply(limited, limited)
    const environment = fakes.env(['azure'], { UPSTREAM_QUEUE_TIMEOUT_MS: '0' })
    for (const stream of [false, true]) {
      const res = await generate(
        { model: 'gpt-image-1', prompt: prompt(`t${stream}`), stream },
        { env: environment },
      )
      expect(res.status).toBe(429)
      const seconds = Number(res.headers.get('retry-after'))
      // Azure asked for 30 s: the pool's estimate is the rest of that cool-down.
      expect(seconds).toBeGreaterThanOrEqual(29)
      expect(seconds).toBeLessThanOrEqual(30)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'rate_limit_exceeded',
      )
    }
    // The second request never reached Azure: the pool knew it was cooling down.
    expect(fakes.azure.calls).toHaveLength(1)
  })
})
