/**
 * Safe to publish, part 2: balances reserved and settled, rate limits, the anonymous daily
 * budget, and usage.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { errorReply } from '../fakes/upstream'
import { CLIENT_KEY, callGateway, ENVS, fakeUpstream, settled } from '../helpers/gateway'
import { ADMIN, createKey, env, errorOf, FAKE_COST, gen, usage } from '../helpers/keys'

let prompts = 1000
/** Anonymous access to a real upstream. */
const OPEN = { ...ENVS.remote, GATEWAY_KEYS: undefined, PUBLIC_ACCESS: 'true' }

describe('balances', () => {
  it('settles the real cost from the returned usage, and hits cost nothing', async () => {
    fakeUpstream()
    const { key } = await createKey({ name: 'alice', kind: 'secret', balance_usd: 1 })
    const miss = await gen(key, { prompt: 'the same fox' })
    await miss.arrayBuffer()
    await settled()
    const hit = await gen(key, { prompt: 'the same fox' })
    expect(hit.headers.get('x-cache')).toBe('HIT')
    await hit.arrayBuffer()
    await settled()
    expect(await usage(key)).toMatchObject({
      balance_usd: 1 - FAKE_COST,
      spent_usd: FAKE_COST,
      requests: 3,
      cache_hits: 1,
      saved_usd: FAKE_COST,
    })
  })

  it('refuses with 403 before any upstream call when the balance cannot cover the request', async () => {
    const fake = fakeUpstream()
    const { key } = await createKey({ name: 'poor', kind: 'secret', balance_usd: 0.01 })
    const res = await gen(key)
    expect(res.status).toBe(403)
    const error = await errorOf(res)
    expect(error.code).toBe('insufficient_balance')
    expect(error.message).toMatch(/^Insufficient balance/)
    expect(fake.calls).toEqual([])
  })

  it('refunds the reservation when the generation fails', async () => {
    fakeUpstream().reply(errorReply(500, {}), errorReply(500, {}))
    const { key } = await createKey({ name: 'alice', kind: 'secret', balance_usd: 1 })
    expect((await gen(key)).status).toBe(500)
    await settled()
    expect(await usage(key)).toMatchObject({ balance_usd: 1, spent_usd: 0 })
  })

  it('never goes below zero by more than one request, with 50 concurrent requests', async () => {
    const fake = fakeUpstream()
    fake.reply(
      ...Array.from({ length: 50 }, () => ({
        kind: 'delay' as const,
        ms: 50,
        reply: { kind: 'success' as const },
      })),
    )
    const { key } = await createKey({ name: 'busy', kind: 'secret', balance_usd: 1 })
    const responses = await Promise.all(Array.from({ length: 50 }, () => gen(key)))
    const ok = responses.filter((r) => r.status === 200).length
    const refused = responses.filter((r) => r.status === 403).length
    expect(ok + refused).toBe(50)
    await Promise.all(responses.map((r) => r.arrayBuffer()))
    await settled()
    const after = await usage(key)
    expect(fake.calls).toHaveLength(ok)
    expect(after.spent_usd).toBeCloseTo(ok * FAKE_COST, 6)
    expect(after.balance_usd as number).toBeGreaterThanOrEqual(0)
    expect((after.balance_usd as number) + (after.spent_usd as number)).toBeCloseTo(1, 6)
    expect(refused).toBeGreaterThan(0) // the estimate ($0.25) let only four run at a time
  })

  it('can be credited by the operator', async () => {
    fakeUpstream()
    const { id, key } = await createKey({ name: 'alice', kind: 'secret', balance_usd: 0 })
    expect((await gen(key)).status).toBe(403)
    await callGateway(`/v1/admin/keys/${id}/credit`, {
      env,
      body: { amount_usd: 2 },
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect((await gen(key)).status).toBe(200)
  })
})

describe('rate limits', () => {
  it('give 429 with Retry-After past a key’s limit, and say where a caller stands', async () => {
    const fake = fakeUpstream()
    const { key } = await createKey({ name: 'slow', kind: 'secret', rate_limit_per_minute: 2 })
    const first = await gen(key)
    expect(first.headers.get('x-ratelimit-limit')).toBe('2')
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1')
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0)
    expect((await gen(key)).status).toBe(200)
    const third = await gen(key)
    expect(third.status).toBe(429)
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(third.headers.get('x-ratelimit-remaining')).toBe('0')
    expect((await errorOf(third)).code).toBe('rate_limit_exceeded')
    expect(fake.calls).toHaveLength(2)
  })

  it('limit anonymous callers per client IP', async () => {
    fakeUpstream()
    const open = {
      ...ENVS.remote,
      GATEWAY_KEYS: undefined,
      PUBLIC_ACCESS: 'true',
      ANONYMOUS_RATE_LIMIT_PER_MINUTE: '2',
    }
    const anon = (ip: string) =>
      callGateway('/v1/images/generations', {
        env: open,
        body: { prompt: `a fox ${++prompts}` },
        headers: { 'cf-connecting-ip': ip },
      })
    expect((await anon('198.51.100.1')).status).toBe(200)
    expect((await anon('198.51.100.1')).status).toBe(200)
    expect((await anon('198.51.100.1')).status).toBe(429)
    expect((await anon('198.51.100.2')).status).toBe(200)
  })

  it('limit an IPv6 client per /64, so rotating addresses does not help', async () => {
    fakeUpstream()
    const anon = (ip: string) =>
      callGateway('/v1/images/generations', {
        env: { ...OPEN, ANONYMOUS_RATE_LIMIT_PER_MINUTE: '2' },
        body: { prompt: `a fox ${++prompts}` },
        clientIp: ip,
      })
    expect((await anon('2001:db8:1:2::1')).status).toBe(200)
    expect((await anon('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).status).toBe(200)
    const third = await anon('2001:0db8:0001:0002::ffff')
    expect(third.status).toBe(429)
    expect((await anon('2001:db8:1:3::1')).status).toBe(200)
  })

  it('refuse anonymous requests without a client address instead of pooling them', async () => {
    const fake = fakeUpstream()
    const anon = () =>
      callGateway('/v1/images/generations', {
        env: OPEN,
        body: { prompt: `a fox ${++prompts}` },
        clientIp: null,
      })
    const res = await anon()
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('client_address_required')
    expect(fake.calls).toEqual([])
    for (const name of ['ip:unknown', 'ip:undefined', 'ip:']) {
      const stub = bindings.LEDGERS.get(bindings.LEDGERS.idFromName(name))
      const stored = await runInDurableObject(stub, async (_, state) => state.storage.list())
      expect(stored.size).toBe(0)
    }
    const demo = await callGateway('/v1/images/generations', {
      env: ENVS.demo,
      body: { prompt: 'a fox', size: '1024x1024' },
      clientIp: null,
    })
    expect(demo.status).toBe(200)
  })
})

describe('anonymous daily budget', () => {
  it('refuses anonymous requests past DAILY_BUDGET_USD, while keys carry on', async () => {
    const fake = fakeUpstream()
    const open = { ...env, PUBLIC_ACCESS: 'true', DAILY_BUDGET_USD: '0.1' }
    const res = await callGateway('/v1/images/generations', {
      env: open,
      body: { prompt: 'a fox' },
    })
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('daily_budget_exhausted')
    const { key } = await createKey({ name: 'alice', kind: 'secret' }, open)
    expect((await gen(key, {}, {}, open)).status).toBe(200)
    expect(fake.calls).toHaveLength(1)
  })

  it('lets anonymous requests spend within the budget', async () => {
    fakeUpstream()
    const open = {
      ...ENVS.remote,
      GATEWAY_KEYS: undefined,
      PUBLIC_ACCESS: 'true',
      DAILY_BUDGET_USD: '1',
    }
    const res = await callGateway('/v1/images/generations', {
      env: open,
      body: { prompt: 'a fox', size: '1024x1024', quality: 'low' },
    })
    expect(res.status).toBe(200)
  })
})

describe('usage', () => {
  it('is for managed keys only', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/usage', {
      env,
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(res.status).toBe(403)
  })
})
