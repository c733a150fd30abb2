/**
 * The UpstreamPool Durable Object through its RPC stub: grants, persisted state across an
 * eviction, the admin snapshot, waiters woken by an outcome or by its one timer (fake timers),
 * operator actions, and arguments that could grow its state refused.
 */
import {
  evictDurableObject,
  reset,
  runDurableObjectAlarm,
  runInDurableObject,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { POOL_OBJECT_NAME, type UpstreamPool } from '../../src/pool/upstream-pool'
import type { CapacitySpec } from '../../src/pool-config/entry'

afterEach(async () => {
  vi.useRealTimers()
  await reset()
})

const pool = () => env.UPSTREAM_POOL.get(env.UPSTREAM_POOL.idFromName(POOL_OBJECT_NAME))
const spec = (name: string, imagesPerMinute: number | null = null): CapacitySpec => ({
  name,
  weight: 1,
  imagesPerMinute,
  imagesPer10s: null,
})

describe('UpstreamPool', () => {
  it('grants, keeps each upstream’s window in storage, and still knows it after an eviction', async () => {
    const stub = pool()
    const first = await stub.acquire({ candidates: [spec('a', 2)], images: 2, maxWaitMs: 0 })
    expect(first).toMatchObject({
      kind: 'granted',
      grant: { upstream: 'a', images: 2, probe: false },
    })
    await runInDurableObject(stub, (_: UpstreamPool, state) => {
      expect(state.storage.kv.get('health:a')).toMatchObject({ window: [[expect.any(Number), 2]] })
    })
    await evictDurableObject(stub)
    const again = await pool().acquire({ candidates: [spec('a', 2)], images: 1, maxWaitMs: 0 })
    expect(again).toMatchObject({ kind: 'wait', waitMs: expect.any(Number) })
  })

  it('opens a circuit after failures and shows it in the snapshot, without keys or URLs', async () => {
    const stub = pool()
    for (let i = 0; i < 5; i++) {
      const result = await stub.acquire({ candidates: [spec('a')], images: 1, maxWaitMs: 0 })
      if (result.kind !== 'granted') throw new Error('expected a grant')
      await stub.report(result.grant, { kind: 'failed', cause: 'status' })
    }
    const [view] = await stub.snapshot([spec('a')])
    expect(view).toMatchObject({
      name: 'a',
      state: 'open',
      images_last_minute: 5,
      capacity: null,
      last_error: { category: 'status' },
      queue_length: 0,
    })
    expect(await stub.acquire({ candidates: [spec('a')], images: 1, maxWaitMs: 0 })).toMatchObject({
      kind: 'wait',
    })
  })

  it('holds a waiter until the probe ahead of it succeeds', async () => {
    const stub = pool()
    await stub.disable('a', Date.now() - 1) // past: the next call is a probe
    const probe = await stub.acquire({ candidates: [spec('a')], images: 1, maxWaitMs: 0 })
    expect(probe).toMatchObject({ kind: 'granted', grant: { probe: true } })
    const waiting = stub.acquire({ candidates: [spec('a')], images: 1, maxWaitMs: 60_000 })
    await vi.waitFor(async () => {
      expect((await stub.snapshot([spec('a')]))[0]?.queue_length).toBe(1)
    })
    if (probe.kind !== 'granted') throw new Error('expected a grant')
    await stub.report(probe.grant, { kind: 'answered' })
    expect(await waiting).toMatchObject({ kind: 'granted', grant: { upstream: 'a', probe: false } })
  })

  it('wakes a waiter by its alarm when capacity frees, and answers one past its deadline', async () => {
    const stub = pool()
    const start = Date.now()
    await stub.acquire({ candidates: [spec('a', 1)], images: 1, maxWaitMs: 0 })
    const first = stub.acquire({ candidates: [spec('a', 1)], images: 1, maxWaitMs: 70_000 })
    // Behind the first it could start at about 121 s, within its 121.5 s, so it waits too.
    const second = stub.acquire({ candidates: [spec('a', 1)], images: 1, maxWaitMs: 121_500 })
    await vi.waitFor(async () => {
      expect((await stub.snapshot([spec('a', 1)]))[0]?.queue_length).toBe(2)
    })
    await runInDurableObject(stub, async (_: UpstreamPool, state) => {
      const alarm = (await state.storage.getAlarm()) as number
      expect(alarm - start).toBeGreaterThan(60_000)
      expect(alarm - start).toBeLessThanOrEqual(62_000)
    })
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(start + 62_000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await first).toMatchObject({ kind: 'granted' })
    // Past its deadline, and the first's second has not left the minute yet.
    vi.setSystemTime(start + 122_000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await second).toMatchObject({ kind: 'wait', waitMs: expect.any(Number) })
  })

  it('an operator can take an upstream out and put it back', async () => {
    const stub = pool()
    await stub.disable('a', null)
    expect(await stub.acquire({ candidates: [spec('a')], images: 1, maxWaitMs: 5_000 })).toEqual({
      kind: 'unavailable',
    })
    expect((await stub.snapshot([spec('a')]))[0]).toMatchObject({
      state: 'disabled',
      state_until: null,
    })
    await stub.enable('a')
    expect(await stub.acquire({ candidates: [spec('a')], images: 1, maxWaitMs: 0 })).toMatchObject({
      kind: 'granted',
    })
  })

  it('refuses arguments that could grow its state or hang a caller', async () => {
    const stub = pool()
    const many = Array.from({ length: 33 }, (_, i) => spec(`u${i}`))
    const bad = [
      { candidates: many, images: 1, maxWaitMs: 0 },
      { candidates: [spec('a')], images: 11, maxWaitMs: 0 },
      { candidates: [spec('a')], images: 1, maxWaitMs: Number.POSITIVE_INFINITY },
      { candidates: [{ ...spec('a'), weight: Number.NaN }], images: 1, maxWaitMs: 0 },
      { candidates: [{ ...spec('a'), imagesPerMinute: 0 }], images: 1, maxWaitMs: 0 },
    ]
    for (const facts of bad) {
      // Caught on the spot: an RPC rejection handed to expect().rejects is also reported unhandled.
      const error = await stub.acquire(facts).then(
        () => null,
        (e: unknown) => e,
      )
      expect(String(error)).toMatch(/candidates 1\.\.32 capacity specs, images 1\.\.10/)
    }
    const many33 = await stub.snapshot(many).then(
      () => null,
      (e: unknown) => e,
    )
    expect(String(many33)).toMatch(/at most 32/)
    const badName = await stub.enable('x'.repeat(64)).then(
      () => null,
      (e: unknown) => e,
    )
    expect(String(badName)).toMatch(/1 to 63/)
    const grant = { upstream: 'a', ticket: 't', images: 1, probe: false, at: 1000 }
    for (const [given, at] of [
      [{ ...grant, images: 11 }, 2000],
      [grant, 999],
      [grant, Number.NaN],
    ] as const) {
      const error = await stub.sent(given, at).then(
        () => null,
        (e: unknown) => e,
      )
      expect(String(error)).toMatch(/sent: a grant/)
    }
  })
})
