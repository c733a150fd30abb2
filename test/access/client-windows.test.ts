/**
 * A publishable key's window per client (issue 18, item 6): a script that forges the site's
 * Origin uses up its own window, not the site's; the key's window still applies; the windows are
 * bounded and pruned, and a refused client writes nothing.
 */
import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { MAX_CLIENT_WINDOWS } from '../../src/access/client-windows'
import type { AccessLedger } from '../../src/billing/ledger'
import type { KeyRecord } from '../../src/principal'
import { callGateway, fakeUpstream } from '../helpers/gateway'
import { ADMIN, createKey, env, errorOf, gen } from '../helpers/keys'

const SITE = 'https://site.example'

const ledgerStub = (name: string) => bindings.LEDGERS.get(bindings.LEDGERS.idFromName(name))

function publishable(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: 'key_site',
    name: 'site',
    kind: 'publishable',
    origins: [SITE],
    permissions: {},
    rateLimitPerMinute: 100,
    clientRateLimitPerMinute: 2,
    createdAt: '2026-12-01T00:00:00.000Z',
    revoked: false,
    ...overrides,
  }
}

/** A visit to the site from `client`, with the gateway's client default of 60. */
const from = (client: string | null) => ({
  limit: 60,
  key: { origin: SITE, client, clientLimit: 60 },
})

describe('the ledger of a publishable key', () => {
  it('gives each client its own window within the key’s, and a refused client writes nothing', async () => {
    await runInDurableObject(ledgerStub('key:site'), async (ledger: AccessLedger, state) => {
      await ledger.setup(publishable(), null)
      const t = 1_000_000
      expect(await ledger.admit(from('192.0.2.1'), t)).toMatchObject({
        allowed: true,
        limit: 2,
        remaining: 1,
      })
      expect(await ledger.admit(from('192.0.2.1'), t + 1)).toMatchObject({ remaining: 0 })
      const before = await state.storage.list()
      const refused = await ledger.admit(from('192.0.2.1'), t + 30_000)
      expect(refused).toEqual({
        allowed: false,
        refusal: 'rate_limited',
        scope: 'client',
        limit: 2,
        remaining: 0,
        reset: 30,
      })
      expect(await state.storage.list()).toEqual(before)
      expect(await ledger.admit(from('2001:db8:1:2::/64'), t + 30_000)).toMatchObject({
        allowed: true,
        remaining: 1,
      })
      expect(await ledger.admit(from('192.0.2.1'), t + 60_000)).toMatchObject({ allowed: true })
      expect(ledger.usage().requests).toBe(4)
    })
  })

  it('still applies the key’s own window to all its clients together', async () => {
    await runInDurableObject(ledgerStub('key:site'), async (ledger: AccessLedger) => {
      await ledger.setup(publishable({ rateLimitPerMinute: 3 }), null)
      for (const client of ['192.0.2.1', '192.0.2.2', '192.0.2.3'])
        expect(await ledger.admit(from(client), 1_000)).toMatchObject({ allowed: true })
      expect(await ledger.admit(from('192.0.2.4'), 2_000)).toMatchObject({
        allowed: false,
        refusal: 'rate_limited',
        scope: 'account',
        limit: 3,
      })
    })
  })

  it('uses the gateway’s client limit when the key sets none, and the tighter window as shown', async () => {
    await runInDurableObject(ledgerStub('key:site'), async (ledger: AccessLedger) => {
      await ledger.setup(publishable({ clientRateLimitPerMinute: null }), null)
      const entry = { limit: 60, key: { origin: SITE, client: '192.0.2.1', clientLimit: 5 } }
      expect(await ledger.admit(entry, 1_000)).toMatchObject({ limit: 5, remaining: 4 })
    })
  })

  it('refuses a request without a client address, writing nothing', async () => {
    await runInDurableObject(ledgerStub('key:site'), async (ledger: AccessLedger, state) => {
      await ledger.setup(publishable(), null)
      const before = await state.storage.list()
      expect(await ledger.admit(from(null))).toEqual({
        allowed: false,
        refusal: 'client_address_required',
      })
      expect(await state.storage.list()).toEqual(before)
    })
  })

  it('forgets ended windows, keeps live ones across an eviction, and stays bounded', async () => {
    const stub = ledgerStub('key:busy')
    const t = 1_000_000
    await runInDurableObject(stub, async (ledger: AccessLedger, state) => {
      await ledger.setup(publishable({ rateLimitPerMinute: 1_000_000 }), null)
      for (let i = 0; i < 300; i++) await ledger.admit(from(`198.51.${i >> 8}.${i & 255}`), t)
      expect(ledger.clientWindows()).toBe(300)
      await ledger.admit(from('192.0.2.9'), t + 59_000)
      await ledger.admit(from('192.0.2.1'), t + 60_000)
      expect(ledger.clientWindows()).toBe(2)
      const stored = [...(await state.storage.list({ prefix: 'client:' })).keys()]
      expect(stored.sort()).toEqual(['client:192.0.2.1', 'client:192.0.2.9'])
    })
    await evictDurableObject(stub)
    await runInDurableObject(stub, async (ledger: AccessLedger) => {
      expect(ledger.clientWindows()).toBe(2)
      await ledger.admit(from('192.0.2.9'), t + 59_001)
      expect(await ledger.admit(from('192.0.2.9'), t + 59_002)).toMatchObject({
        allowed: false,
        scope: 'client',
      })
    })
  })

  it('never keeps more than MAX_CLIENT_WINDOWS, however many clients come in a minute', async () => {
    await runInDurableObject(ledgerStub('key:crowd'), async (ledger: AccessLedger, state) => {
      await ledger.setup(publishable({ rateLimitPerMinute: 1_000_000 }), null)
      for (let i = 0; i <= MAX_CLIENT_WINDOWS; i++)
        await ledger.admit(from(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`), 1_000)
      expect(ledger.clientWindows()).toBe(MAX_CLIENT_WINDOWS)
      expect((await state.storage.list({ prefix: 'client:' })).size).toBe(MAX_CLIENT_WINDOWS)
      // The first client's window was forgotten to make room for the last.
      expect(await state.storage.get('client:10.0.0.0')).toBeUndefined()
    })
  })

  it('keeps no client windows for a secret key', async () => {
    await runInDurableObject(ledgerStub('key:secret'), async (ledger: AccessLedger, state) => {
      await ledger.setup(publishable({ kind: 'secret', origins: [] }), null)
      for (let i = 0; i < 3; i++)
        expect(await ledger.admit(from('192.0.2.1'), 1_000)).toMatchObject({ allowed: true })
      expect((await state.storage.list({ prefix: 'client:' })).size).toBe(0)
    })
  })
})

describe('a publishable key through the gateway', () => {
  const site = { origin: SITE }

  it('serves the site’s other visitors while one client is past its window', async () => {
    const fake = fakeUpstream()
    const { key } = await createKey({
      name: 'site',
      kind: 'publishable',
      origins: [SITE],
      rate_limit_per_minute: 10,
      client_rate_limit_per_minute: 2,
    })
    const visit = (ip: string) => gen(key, {}, { ...site, 'cf-connecting-ip': ip })
    expect((await visit('203.0.113.5')).status).toBe(200)
    expect((await visit('203.0.113.5')).headers.get('x-ratelimit-remaining')).toBe('0')
    const forged = await visit('203.0.113.5')
    expect(forged.status).toBe(429)
    expect(forged.headers.get('retry-after')).toBeTruthy()
    expect((await errorOf(forged)).message).toContain('for this client: 2 requests per minute')
    // An IPv6 client is its /64: a new address in it gains nothing, another /64 is served.
    expect((await visit('2001:db8:7:7::1')).status).toBe(200)
    expect((await visit('2001:db8:7:7::2')).status).toBe(200)
    expect((await visit('2001:db8:7:7:ffff::3')).status).toBe(429)
    expect((await visit('2001:db8:7:8::1')).status).toBe(200)
    expect((await visit('198.51.100.20')).status).toBe(200)
    expect(fake.calls).toHaveLength(6)
  })

  it('still limits the key as a whole, and refuses a request without a client address', async () => {
    fakeUpstream()
    const { key } = await createKey({
      name: 'site',
      kind: 'publishable',
      origins: [SITE],
      rate_limit_per_minute: 2,
    })
    expect((await gen(key, {}, { ...site, 'cf-connecting-ip': '203.0.113.1' })).status).toBe(200)
    expect((await gen(key, {}, { ...site, 'cf-connecting-ip': '203.0.113.2' })).status).toBe(200)
    const third = await gen(key, {}, { ...site, 'cf-connecting-ip': '203.0.113.3' })
    expect(third.status).toBe(429)
    expect((await errorOf(third)).message).toMatch(/^Rate limit reached: 2 requests per minute/)
    const anonymous = await callGateway('/v1/images/generations', {
      env,
      body: { prompt: 'a fox' },
      headers: { authorization: `Bearer ${key}`, ...site },
      clientIp: null,
    })
    expect(anonymous.status).toBe(403)
    expect((await errorOf(anonymous)).code).toBe('client_address_required')
  })

  it('takes its limit per client from PUBLISHABLE_CLIENT_RATE_LIMIT_PER_MINUTE by default', async () => {
    fakeUpstream()
    const limited = { ...env, PUBLISHABLE_CLIENT_RATE_LIMIT_PER_MINUTE: '1' }
    const { key } = await createKey({ name: 'site', kind: 'publishable', origins: [SITE] }, limited)
    expect((await gen(key, {}, site, limited)).status).toBe(200)
    expect((await gen(key, {}, site, limited)).status).toBe(429)
  })

  it('is set and shown by the admin API, for publishable keys only', async () => {
    fakeUpstream()
    const created = await createKey({
      name: 'site',
      kind: 'publishable',
      origins: [SITE],
      client_rate_limit_per_minute: 7,
    })
    expect(created).toMatchObject({ client_rate_limit_per_minute: 7 })
    const headers = { authorization: `Bearer ${ADMIN}` }
    const list = await callGateway('/v1/admin/keys', { env, headers })
    const { data } = (await list.json()) as { data: Record<string, unknown>[] }
    expect(data.find((k) => k.id === created.id)).toMatchObject({ client_rate_limit_per_minute: 7 })
    const secret = await createKey({ name: 'server', kind: 'secret' })
    expect(secret).toMatchObject({ client_rate_limit_per_minute: null })
    for (const body of [
      { name: 'server', kind: 'secret', client_rate_limit_per_minute: 5 },
      { name: 'site', kind: 'publishable', origins: [SITE], client_rate_limit_per_minute: 0 },
    ]) {
      const res = await callGateway('/v1/admin/keys', { env, headers, body })
      expect(res.status).toBe(400)
      expect((await errorOf(res)).param).toBe('client_rate_limit_per_minute')
    }
  })
})
