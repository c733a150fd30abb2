/**
 * Safe to publish, part 1: managed keys through the admin API, publishable keys bound to
 * origins, and per-key permissions.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/stream/bytes'
import { CLIENT_KEY, callGateway, ENVS, fakeUpstream } from '../helpers/gateway'
import { ADMIN, createKey, env, errorOf, gen } from '../helpers/keys'

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
    // Blank is unset, whatever a local .dev.vars (which `npm start` may have written) says.
    const off = await callGateway('/v1/admin/keys', {
      env: { ...ENVS.remote, ADMIN_TOKEN: '' },
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

  it('bounds amounts, so none overflows into an unlimited balance', async () => {
    fakeUpstream()
    const headers = { authorization: `Bearer ${ADMIN}` }
    for (const balance_usd of [1e308, 1_000_001]) {
      const res = await callGateway('/v1/admin/keys', {
        env,
        headers,
        body: { name: 'rich', kind: 'secret', balance_usd },
      })
      expect(res.status).toBe(400)
      expect((await errorOf(res)).param).toBe('balance_usd')
    }
    const { id } = await createKey({ name: 'credit', kind: 'secret', balance_usd: 1_000_000 })
    const credit = await callGateway(`/v1/admin/keys/${id}/credit`, {
      env,
      headers,
      body: { amount_usd: 1e300 },
    })
    expect(credit.status).toBe(400)
    expect((await errorOf(credit)).param).toBe('amount_usd')
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

  it('cost no storage when unknown: a made-up key leaves no ledger behind', async () => {
    fakeUpstream()
    for (const key of ['sk-gw-made-up-1', 'pk-gw-made-up-2']) {
      expect((await gen(key, {}, { origin: 'https://site.example' })).status).toBe(401)
      const stub = bindings.LEDGERS.get(bindings.LEDGERS.idFromName(`key:${await sha256Hex(key)}`))
      const stored = await runInDurableObject(stub, async (_, state) => state.storage.list())
      expect(stored.size).toBe(0)
    }
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

  it('cannot be locked out from other origins: only admitted requests count', async () => {
    const fake = fakeUpstream()
    const { id, key } = await createKey({
      name: 'site',
      kind: 'publishable',
      origins: ['https://site.example'],
      rate_limit_per_minute: 2,
    })
    for (let i = 0; i < 5; i++) {
      const res = await gen(key, {}, { origin: 'https://evil.example' })
      expect(res.status).toBe(403)
    }
    const first = await gen(key, {}, { origin: 'https://site.example' })
    expect(first.status).toBe(200)
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1')
    expect((await gen(key, {}, { origin: 'https://site.example' })).status).toBe(200)
    expect((await gen(key, {}, { origin: 'https://site.example' })).status).toBe(429)
    expect(fake.calls).toHaveLength(2)
    await callGateway(`/v1/admin/keys/${id}/revoke`, {
      env,
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect((await gen(key, {}, { origin: 'https://site.example' })).status).toBe(401)
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
