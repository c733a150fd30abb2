/**
 * The pool's choice and queue on a hand-driven clock: weighted round-robin, capacity first,
 * first come first served per upstream, deadlines answered with a truthful wait, outcomes that
 * wake waiters, bounded queues, and the admin view.
 */
import { describe, expect, it } from 'vitest'
import { choose } from '../../src/pool/choose'
import { DEFAULT_POLICY, freshHealth, type UpstreamHealth } from '../../src/pool/health-state'
import {
  type AcquireFacts,
  type AcquireResult,
  MAX_WAITERS,
  PoolScheduler,
} from '../../src/pool/scheduler'
import type { CapacitySpec } from '../../src/pool-config/entry'

const T0 = 1_800_000_000_000

const spec = (name: string, imagesPerMinute: number | null = null, weight = 1): CapacitySpec => ({
  name,
  weight,
  imagesPerMinute,
  imagesPer10s: null,
})

function memoryStore() {
  const saved = new Map<string, UpstreamHealth>()
  return {
    saved,
    load: (name: string) => saved.get(name),
    save: (name: string, health: UpstreamHealth) => saved.set(name, structuredClone(health)),
    forget: (name: string) => saved.delete(name),
  }
}

function scheduler() {
  let n = 0
  const store = memoryStore()
  return { store, pool: new PoolScheduler(store, DEFAULT_POLICY, () => `t${++n}`) }
}

const facts = (candidates: CapacitySpec[], images = 1, maxWaitMs = 0): AcquireFacts => ({
  candidates,
  images,
  maxWaitMs,
})

/** Queues a request; its result lands in the returned box when it comes. */
function queued(pool: PoolScheduler, f: AcquireFacts, now: number) {
  const box: { result: AcquireResult | null } = { result: null }
  const at = pool.acquire(f, now, (result) => {
    box.result = result
  })
  box.result = at
  return box
}

const upstreamOf = (result: AcquireResult | null) =>
  result?.kind === 'granted' ? result.grant.upstream : result?.kind

describe('choose', () => {
  it('is nginx’s smooth weighted round-robin: 5:1:1 gives a a b a c a a', () => {
    const current = new Map<string, number>()
    const candidates = [spec('a', null, 5), spec('b'), spec('c')].map((s) => ({
      spec: s,
      health: freshHealth(),
    }))
    const picks = Array.from({ length: 7 }, () => {
      const choice = choose(candidates, 1, T0, DEFAULT_POLICY, current)
      return choice.kind === 'now' ? choice.name : '-'
    })
    expect(picks.join(' ')).toBe('a a b a c a a')
  })
})

describe('PoolScheduler', () => {
  it('grants at once with a ticket, and persists the upstream’s window', () => {
    const { pool, store } = scheduler()
    expect(pool.acquire(facts([spec('a', 5)], 2), T0)).toEqual({
      kind: 'granted',
      grant: { upstream: 'a', ticket: 't1', images: 2, probe: false, at: T0 },
    })
    expect(store.saved.get('a')?.window).toEqual([[T0 / 1000, 2]])
  })

  it('counts a call from when it went out, so the next minute waits for the upstream’s', () => {
    const { pool, store } = scheduler()
    const granted = pool.acquire(facts([spec('a', 2)], 2), T0)
    if (granted?.kind !== 'granted') throw new Error('expected a grant')
    // The owner was busy: the call left 3 s after its grant.
    pool.sent(granted.grant, T0 + 3_000, T0 + 3_500)
    expect(store.saved.get('a')?.window).toEqual([[T0 / 1000 + 3, 2]])
    expect(pool.acquire(facts([spec('a', 2)], 1), T0 + 61_000)).toMatchObject({ kind: 'wait' })
    expect(upstreamOf(pool.acquire(facts([spec('a', 2)], 1), T0 + 64_000))).toBe('a')
    // Never later than now, never more than was counted (the first call's images have expired).
    pool.sent({ ...granted.grant, images: 9, at: T0 + 64_000 }, T0 + 99_000, T0 + 65_000)
    expect(store.saved.get('a')?.window).toEqual([[T0 / 1000 + 65, 1]])
  })

  it('goes where there is capacity, and says how long until any when none has', () => {
    const { pool } = scheduler()
    const both = [spec('a', 1), spec('b', 1)]
    expect(upstreamOf(pool.acquire(facts(both), T0))).toBe('a')
    expect(upstreamOf(pool.acquire(facts(both), T0))).toBe('b')
    expect(pool.acquire(facts(both), T0 + 500)).toEqual({ kind: 'wait', waitMs: 60_500 })
  })

  it('serves waiters first come, first served, and answers one past its deadline with its wait', () => {
    const { pool } = scheduler()
    const one = [spec('a', 1)]
    pool.acquire(facts(one), T0)
    const first = queued(pool, facts(one, 1, 120_000), T0 + 100)
    // Behind the first, it could start at 121 s: within its 121 s, so it waits too.
    const second = queued(pool, facts(one, 1, 121_000), T0 + 200)
    expect([first.result, second.result]).toEqual([null, null])
    expect(pool.queueLength).toBe(2)
    expect(pool.nextWakeAt()).toBe(T0 + 61_000)
    pool.pump(T0 + 61_000)
    expect(upstreamOf(first.result)).toBe('a')
    expect(second.result).toBeNull()
    pool.pump(T0 + 121_200)
    expect(second.result).toEqual({ kind: 'wait', waitMs: 800 })
    expect(pool.queueLength).toBe(0)
  })

  it('does not let a newcomer take what an earlier waiter waits for; other upstreams still serve', () => {
    const { pool } = scheduler()
    pool.acquire(facts([spec('a', 3)], 2), T0)
    const big = queued(pool, facts([spec('a', 3)], 2, 120_000), T0 + 1)
    expect(big.result).toBeNull()
    // One image would fit on `a` now, but the waiter ahead is first.
    expect(pool.acquire(facts([spec('a', 3)], 1), T0 + 2)).toMatchObject({ kind: 'wait' })
    expect(upstreamOf(pool.acquire(facts([spec('a', 3), spec('b')], 1), T0 + 3))).toBe('b')
    pool.pump(T0 + 61_000)
    expect(upstreamOf(big.result)).toBe('a')
  })

  it('wakes for what the first waiter needs, though a smaller ask behind it would fit now', () => {
    const { pool } = scheduler()
    const a = [spec('a', 3)]
    pool.acquire(facts(a, 2), T0)
    const big = queued(pool, facts(a, 2, 120_000), T0 + 1)
    queued(pool, facts(a, 1, 120_000), T0 + 2)
    pool.pump(T0 + 10)
    expect(pool.nextWakeAt()).toBe(T0 + 61_000)
    pool.pump(T0 + 61_000)
    expect(upstreamOf(big.result)).toBe('a')
  })

  it('estimates the wait behind the queue: 10 ahead at 5 a minute is three minutes', () => {
    const { pool } = scheduler()
    const five = [spec('a', 5)]
    pool.acquire(facts(five, 5), T0)
    for (let i = 0; i < 10; i++) queued(pool, facts(five, 1, 600_000), T0)
    expect(pool.acquire(facts(five), T0)).toEqual({ kind: 'wait', waitMs: 181_000 })
    const within = queued(pool, facts(five, 1, 181_000), T0)
    expect(within.result).toBeNull()
  })

  it('says unavailable when every candidate is out until an operator acts; enable brings it back', () => {
    const { pool } = scheduler()
    pool.disable('a', null, T0)
    expect(pool.acquire(facts([spec('a')], 1, 60_000), T0)).toEqual({ kind: 'unavailable' })
    pool.enable('a', T0 + 1)
    expect(upstreamOf(pool.acquire(facts([spec('a')]), T0 + 1))).toBe('a')
  })

  it('a probe’s success wakes the waiters behind it', () => {
    const { pool } = scheduler()
    const a = [spec('a')]
    for (let i = 0; i < 5; i++) {
      const result = pool.acquire(facts(a), T0)
      if (result?.kind !== 'granted') throw new Error('expected a grant')
      pool.report(result.grant, { kind: 'failed', cause: 'status' }, T0)
    }
    const probe = pool.acquire(facts(a), T0 + 30_000)
    expect(probe).toMatchObject({ kind: 'granted', grant: { probe: true } })
    const waiter = queued(pool, facts(a, 1, 60_000), T0 + 30_001)
    expect(waiter.result).toBeNull()
    if (probe?.kind !== 'granted') throw new Error('expected a grant')
    pool.report(probe.grant, { kind: 'answered' }, T0 + 40_000)
    expect(waiter.result).toMatchObject({ kind: 'granted', grant: { upstream: 'a', probe: false } })
  })

  it('holds at most MAX_WAITERS; the next is told its wait', () => {
    const { pool } = scheduler()
    const a = [spec('a', 100)]
    pool.acquire(facts(a, 100), T0)
    for (let i = 0; i < MAX_WAITERS; i++) queued(pool, facts(a, 1, 3_600_000), T0)
    expect(pool.queueLength).toBe(MAX_WAITERS)
    expect(pool.acquire(facts(a, 1, 3_600_000), T0, () => {})).toMatchObject({
      kind: 'wait',
    })
  })

  it('describes each upstream for the admin view', () => {
    const { pool } = scheduler()
    pool.acquire(facts([spec('a', 2)], 2), T0)
    queued(pool, facts([spec('a', 2)], 1, 120_000), T0)
    const granted = pool.acquire(facts([spec('b')]), T0)
    if (granted?.kind !== 'granted') throw new Error('expected a grant')
    pool.report(granted.grant, { kind: 'rate_limited', retryAfterMs: 5_000 }, T0 + 1_000)
    expect(pool.snapshot([spec('a', 2), spec('b')], T0 + 2_000)).toEqual([
      {
        name: 'a',
        state: 'healthy',
        images_last_minute: 2,
        capacity: 2,
        capacity_source: 'declared',
        state_until: null,
        last_error: null,
        queue_length: 1,
      },
      {
        name: 'b',
        state: 'cooling_down',
        images_last_minute: 1,
        capacity: 1,
        capacity_source: 'learned',
        state_until: new Date(T0 + 6_000).toISOString(),
        last_error: { category: 'rate_limited', at: new Date(T0 + 1_000).toISOString() },
        queue_length: 0,
      },
    ])
  })
})
