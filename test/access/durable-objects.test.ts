/**
 * AccessLedger and KeyIndex, the accounts' Durable Objects, on their own, the platform's way:
 * `runInDurableObject` calls an instance directly and reads its storage; `reset()` after each
 * test gives every test empty storage; `evictDurableObject` checks state survives an eviction.
 */
import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { KeyIndex } from '../../src/access/key-index'
import type { AccessLedger } from '../../src/billing/ledger'
import type { KeyRecord } from '../../src/principal'

/** How long the tests' reservations are held. */
const HOLD_MS = 60_000

const ledgerStub = (name = 'key:test') => env.LEDGERS.get(env.LEDGERS.idFromName(name))
const indexStub = () => env.KEY_INDEX.get(env.KEY_INDEX.idFromName('index'))

/** Who calls a key's ledger: a page's origin, from one client, with the default client limit. */
function caller(origin: string | null, client: string | null = '192.0.2.1', clientLimit = 60) {
  return { origin, client, clientLimit }
}

function record(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: 'key_1',
    name: 'alice',
    kind: 'secret',
    origins: [],
    permissions: {},
    rateLimitPerMinute: null,
    createdAt: '2026-11-24T00:00:00.000Z',
    revoked: false,
    ...overrides,
  }
}

describe('AccessLedger', () => {
  it('keeps a key’s record and balance in storage, across an eviction', async () => {
    const stub = ledgerStub()
    await runInDurableObject(stub, async (ledger: AccessLedger, state) => {
      await ledger.setup(record(), 5_000_000)
      expect(await state.storage.get('state')).toMatchObject({
        record: { id: 'key_1' },
        balanceMicros: 5_000_000,
      })
    })
    await evictDurableObject(stub)
    await runInDurableObject(stub, async (ledger: AccessLedger) => {
      expect(await ledger.admit({ limit: 60, key: caller(null) })).toMatchObject({
        allowed: true,
        record: { name: 'alice' },
      })
      expect(ledger.usage().balanceMicros).toBe(5_000_000)
    })
  })

  it('reserves only what is there, and settles or refunds each reservation once', async () => {
    await runInDurableObject(ledgerStub(), async (ledger: AccessLedger) => {
      await ledger.setup(record(), 1_000)
      const first = await ledger.reserve(600, HOLD_MS)
      expect(first.ok).toBe(true)
      expect(await ledger.reserve(600, HOLD_MS)).toEqual({ ok: false, availableMicros: 400 })
      expect(ledger.usage().balanceMicros).toBe(400)
      if (!first.ok) return
      await ledger.settle(first.id, 250)
      await ledger.settle(first.id, 250)
      expect(ledger.usage()).toMatchObject({ balanceMicros: 750, spentMicros: 250 })
      const second = await ledger.reserve(700, HOLD_MS)
      if (!second.ok) throw new Error('expected a reservation')
      await ledger.refund(second.id)
      await ledger.refund(second.id)
      expect(ledger.usage()).toMatchObject({ balanceMicros: 750, spentMicros: 250 })
    })
  })

  it('opens a budget on first use and never lets an unlimited key run dry', async () => {
    await runInDurableObject(ledgerStub('budget:2026-11-24'), async (ledger: AccessLedger) => {
      expect((await ledger.reserve(300, HOLD_MS, 1_000)).ok).toBe(true)
      expect(await ledger.reserve(800, HOLD_MS, 1_000)).toEqual({ ok: false, availableMicros: 700 })
    })
    await runInDurableObject(ledgerStub('key:unlimited'), async (ledger: AccessLedger) => {
      await ledger.setup(record(), null)
      expect((await ledger.reserve(10 ** 12, HOLD_MS)).ok).toBe(true)
      expect(ledger.usage().balanceMicros).toBeNull()
    })
  })

  it('counts requests in one-minute windows, with the key’s own limit', async () => {
    await runInDurableObject(ledgerStub(), async (ledger: AccessLedger) => {
      await ledger.setup(record({ rateLimitPerMinute: 2 }), null)
      const start = 1_000_000
      const entry = { limit: 60, key: caller(null) }
      expect(await ledger.admit(entry, start)).toMatchObject({
        allowed: true,
        limit: 2,
        remaining: 1,
      })
      expect(await ledger.admit(entry, start + 1_000)).toMatchObject({
        allowed: true,
        remaining: 0,
      })
      expect(await ledger.admit(entry, start + 30_000)).toMatchObject({ allowed: false, reset: 30 })
      expect(await ledger.admit(entry, start + 60_000)).toMatchObject({
        allowed: true,
        remaining: 1,
      })
      expect(ledger.usage().requests).toBe(3)
    })
  })

  it('refuses an unknown key without storing anything', async () => {
    await runInDurableObject(ledgerStub('key:unknown'), async (ledger: AccessLedger, state) => {
      for (const origin of [null, 'https://site.example'])
        expect(await ledger.admit({ limit: 60, key: caller(origin) })).toEqual({
          allowed: false,
          refusal: 'unknown_key',
        })
      expect((await state.storage.list()).size).toBe(0)
    })
  })

  it('checks revocation and origin before counting, so refusals never fill the window', async () => {
    await runInDurableObject(ledgerStub(), async (ledger: AccessLedger, state) => {
      const site = 'https://site.example'
      await ledger.setup(
        record({ kind: 'publishable', origins: [site], rateLimitPerMinute: 2 }),
        null,
      )
      const stored = () => state.storage.get('state')
      const before = await stored()
      for (const origin of ['https://evil.example', null, `${site}.evil.example`]) {
        expect(await ledger.admit({ limit: 60, key: caller(origin) })).toEqual({
          allowed: false,
          refusal: 'origin_not_allowed',
        })
      }
      expect(await stored()).toEqual(before)
      expect(await ledger.admit({ limit: 60, key: caller(site) })).toMatchObject({
        allowed: true,
        remaining: 1,
      })
      expect(await ledger.admit({ limit: 60, key: caller(site) })).toMatchObject({
        allowed: true,
        remaining: 0,
      })
      const full = await stored()
      expect(await ledger.admit({ limit: 60, key: caller(site) })).toMatchObject({
        allowed: false,
        refusal: 'rate_limited',
      })
      expect(await stored()).toEqual(full)
      await ledger.update({ revoked: true })
      const revoked = await stored()
      expect(await ledger.admit({ limit: 60, key: caller(site) })).toEqual({
        allowed: false,
        refusal: 'revoked',
      })
      expect(await stored()).toEqual(revoked)
      expect(ledger.usage().requests).toBe(2)
    })
  })

  it('opens a client’s ledger (no record) with its first admitted request', async () => {
    await runInDurableObject(ledgerStub('ip:192.0.2.1'), async (ledger: AccessLedger, state) => {
      expect(await ledger.admit({ limit: 1 }, 1_000_000)).toMatchObject({ allowed: true, limit: 1 })
      expect(await state.storage.get('state')).toMatchObject({
        window: { start: 1_000_000, count: 1 },
      })
      expect(await ledger.admit({ limit: 1 }, 1_001_000)).toMatchObject({
        allowed: false,
        refusal: 'rate_limited',
      })
    })
  })

  it('credits, revokes and counts cache hits', async () => {
    await runInDurableObject(ledgerStub(), async (ledger: AccessLedger) => {
      expect(await ledger.update({ revoked: true })).toBeNull()
      await ledger.setup(record(), 0)
      expect(await ledger.update({ creditMicros: 2_000 })).toMatchObject({ revoked: false })
      expect(await ledger.update({ revoked: true })).toMatchObject({ revoked: true })
      await ledger.recordHit(150)
      expect(ledger.usage()).toMatchObject({ balanceMicros: 2_000, cacheHits: 1, savedMicros: 150 })
    })
  })
})

describe('KeyIndex', () => {
  it('adds, finds, lists and replaces entries', async () => {
    await runInDurableObject(indexStub(), async (index: KeyIndex, state) => {
      await index.add({ record: record(), hash: 'h1' })
      await index.add({ record: record({ id: 'key_2', name: 'bob' }), hash: 'h2' })
      expect(await index.get('key_2')).toMatchObject({ hash: 'h2', record: { name: 'bob' } })
      expect(await index.get('key_3')).toBeNull()
      await index.replace({ record: record({ revoked: true }), hash: 'h1' })
      expect((await index.list()).map((e) => [e.record.id, e.record.revoked])).toEqual([
        ['key_1', true],
        ['key_2', false],
      ])
      expect([...(await state.storage.list()).keys()]).toEqual(['key:key_1', 'key:key_2'])
    })
  })

  it('answers the origins of live publishable keys only, each once', async () => {
    await runInDurableObject(indexStub(), async (index: KeyIndex) => {
      const publishable = (id: string, origins: string[], revoked = false) =>
        index.add({ record: record({ id, kind: 'publishable', origins, revoked }), hash: id })
      await publishable('key_a', ['https://a.example', 'https://b.example'])
      await publishable('key_b', ['https://b.example'])
      await publishable('key_c', ['https://revoked.example'], true)
      await index.add({
        record: record({ id: 'key_d', origins: ['https://secret.example'] }),
        hash: 'd',
      })
      expect((await index.origins()).sort()).toEqual(['https://a.example', 'https://b.example'])
    })
  })
})
