/**
 * Safe to publish: managed keys (admin API), publishable keys bound to origins, permissions,
 * balances reserved and settled, rate limits, anonymous caps, usage.
 */
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../../src/env'
import { errorReply } from '../fakes/upstream'
import { CLIENT_KEY, callGateway, ENVS, fakeUpstream, settled } from '../helpers/gateway'

const ADMIN = 'admin-token-for-tests'
const env = { ...ENVS.remote, ADMIN_TOKEN: ADMIN }
/** What the fake upstream's usage (10 input, 1056 output tokens) costs on gpt-image-1, in USD. */
const FAKE_COST = (10 * 5 + 1056 * 40) / 1_000_000

async function createKey(body: Record<string, unknown>, e: Partial<Bindings> = env) {
  const res = await callGateway('/v1/admin/keys', {
    env: e,
    body,
    headers: { authorization: `Bearer ${ADMIN}` },
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { id: string; key: string; balance_usd: number | null }
}

let prompts = 0
function gen(
  key: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  e: Partial<Bindings> = env,
) {
  return callGateway('/v1/images/generations', {
    env: e,
    body: { prompt: `a fox, take ${++prompts}`, ...body },
    headers: { authorization: `Bearer ${key}`, ...headers },
  })
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; param: string | null; message: string } })
    .error
}

async function usage(key: string, e: Partial<Bindings> = env) {
  const res = await callGateway('/v1/usage', {
    env: e,
    headers: { authorization: `Bearer ${key}` },
  })
  return (await res.json()) as Record<string, number | null>
}

describe('admin API', () => {
  it('creates a key shown once, and lists keys without secrets', async () => {
    fakeUpstream()
    const created = await createKey({ name: 'alice', kind: 'secret', balance_usd: 5 })
    expect(created.key).toMatch(/^sk-gw-[A-Za-z0-9_-]{32}$/)
    expect(created.balance_usd).toBe(5)
    const list = await callGateway('/v1/admin/keys', {
      env,
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    const text = await list.text()
    expect(text).toContain(created.id)
    expect(text).not.toContain(created.key)
    expect(text).not.toMatch(/[0-9a-f]{64}/) // nor the hash
  })

  it('refuses wrong admin tokens, and is off without ADMIN_TOKEN', async () => {
    fakeUpstream()
    const wrong = await callGateway('/v1/admin/keys', {
      env,
      headers: { authorization: 'Bearer nope' },
    })
    expect(wrong.status).toBe(401)
    const off = await callGateway('/v1/admin/keys', {
      env: ENVS.remote,
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(off.status).toBe(403)
    expect((await errorOf(off)).code).toBe('admin_disabled')
  })

  it('validates new keys, naming the field', async () => {
    fakeUpstream()
    const headers = { authorization: `Bearer ${ADMIN}` }
    const noOrigins = await callGateway('/v1/admin/keys', {
      env,
      headers,
      body: { name: 'site', kind: 'publishable' },
    })
    expect((await errorOf(noOrigins)).param).toBe('origins')
    const badOrigin = await callGateway('/v1/admin/keys', {
      env,
      headers,
      body: { name: 'site', kind: 'publishable', origins: ['https://a.example/path'] },
    })
    expect((await errorOf(badOrigin)).param).toBe('origins.0')
  })
})

describe('managed keys', () => {
  it('generate, and GATEWAY_KEYS keeps working beside them', async () => {
    const fake = fakeUpstream()
    const { key } = await createKey({ name: 'alice', kind: 'secret' })
    expect((await gen(key)).status).toBe(200)
    expect((await gen(CLIENT_KEY)).status).toBe(200)
    expect(fake.calls).toHaveLength(2)
  })

  it('stop working when revoked', async () => {
    const fake = fakeUpstream()
    const { id, key } = await createKey({ name: 'alice', kind: 'secret' })
    const revoke = await callGateway(`/v1/admin/keys/${id}/revoke`, {
      env,
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(revoke.status).toBe(200)
    const res = await gen(key)
    expect(res.status).toBe(401)
    expect((await errorOf(res)).code).toBe('invalid_api_key')
    expect(fake.calls).toEqual([])
  })

  it('refuse an unknown sk-gw- key', async () => {
    fakeUpstream()
    expect((await gen('sk-gw-not-a-real-key')).status).toBe(401)
  })
})

describe('publishable keys', () => {
  it('work from an allowed Origin, or Referer for <img> requests, and nowhere else', async () => {
    const fake = fakeUpstream()
    const { key } = await createKey({
      name: 'site',
      kind: 'publishable',
      origins: ['https://site.example'],
    })
    expect((await gen(key, {}, { origin: 'https://site.example' })).status).toBe(200)
    expect((await gen(key, {}, { referer: 'https://site.example/gallery/1' })).status).toBe(200)
    const elsewhere: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'https://site.example.evil.example' },
      {},
    ]
    for (const headers of elsewhere) {
      const res = await gen(key, {}, headers)
      expect(res.status).toBe(403)
      expect((await errorOf(res)).code).toBe('origin_not_allowed')
    }
    expect(fake.calls).toHaveLength(2)
  })
})

describe('permissions', () => {
  it.each([
    [{ models: ['gpt-image-1-mini'] }, {}, 'model'],
    [{ max_n: 2 }, { n: 3 }, 'n'],
    [{ max_size: '1024x1024' }, { size: '1536x1024' }, 'size'],
    [{ max_size: '1024x1024' }, {}, 'size'],
    [{ max_quality: 'medium' }, { quality: 'high' }, 'quality'],
    [{ max_quality: 'medium' }, { size: '1024x1024' }, 'quality'],
  ])('%o refuses %o, naming %s', async (permissions, body, param) => {
    const fake = fakeUpstream()
    const { key } = await createKey({ name: 'limited', kind: 'secret', permissions })
    const res = await gen(key, body)
    expect(res.status).toBe(403)
    const error = await errorOf(res)
    expect(error.param).toBe(param)
    expect(error.message).toContain('This key may')
    expect(fake.calls).toEqual([])
  })

  it('allows what is within the ceilings', async () => {
    fakeUpstream()
    const { key } = await createKey({
      name: 'limited',
      kind: 'secret',
      permissions: {
        models: ['gpt-image-1'],
        max_n: 2,
        max_size: '1024x1024',
        max_quality: 'medium',
      },
    })
    expect((await gen(key, { n: 2, size: '1024x1024', quality: 'medium' })).status).toBe(200)
  })
})

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
