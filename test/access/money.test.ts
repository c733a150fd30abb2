/**
 * Money that cannot leak (issue 11, items 1–3): a charge is never more than was reserved, so a
 * balance never goes below zero whatever the upstream reports and whatever the concurrency; the
 * reservation covers every script and every partial image; reservations whose generation
 * vanished expire; refunds that fail are logged; billing alone computes prices.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env as testEnv } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import type { AccessLedger } from '../../src/billing/ledger'
import { estimateCost } from '../../src/billing/prices'
import { refund, settleGeneration } from '../../src/billing/reservations'
import type { Bindings } from '../../src/env'
import { normalize } from '../../src/schema/image-request'
import { successBody } from '../fakes/upstream'
import { callGateway, fakeUpstream, settled } from '../helpers/gateway'
import { ADMIN, createKey, env, gen, usage } from '../helpers/keys'

/** An answer whose usage would cost about $12 on gpt-image-1: far above any reservation. */
function hugeUsage() {
  const body = successBody({})
  body.usage = { ...body.usage, output_tokens: 300_000, total_tokens: 300_010 }
  return { kind: 'json' as const, status: 200, body }
}

async function adminView(id: string) {
  const res = await callGateway('/v1/admin/keys', {
    env,
    headers: { authorization: `Bearer ${ADMIN}` },
  })
  const { data } = (await res.json()) as { data: Record<string, unknown>[] }
  return data.find((key) => key.id === id) as Record<string, number>
}

describe('charges', () => {
  it('never charge more than was reserved: the excess is an anomaly for the operator', async () => {
    fakeUpstream().reply(hugeUsage())
    const { id, key } = await createKey({ name: 'small', kind: 'secret', balance_usd: 0.3 })
    const body = { prompt: 'a fox, charged', quality: 'low' } as const
    const res = await gen(key, body)
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    await settled()
    const reserved = estimateCost(normalize(body)) / 1e6
    const after = await usage(key)
    expect(after.balance_usd as number).toBeGreaterThanOrEqual(0)
    expect(after.spent_usd as number).toBeLessThanOrEqual(reserved + 1e-6)
    expect(await adminView(id)).toMatchObject({ anomalies: 1 })
    expect((await adminView(id)).unbilled_usd).toBeGreaterThan(10)
  })

  it('keep a balance from going below zero under concurrency, whatever the upstream reports', async () => {
    const fake = fakeUpstream()
    fake.reply(...Array.from({ length: 6 }, () => hugeUsage()))
    const { key } = await createKey({ name: 'six', kind: 'secret', balance_usd: 0.5 })
    const answers = await Promise.all(Array.from({ length: 6 }, () => gen(key, { quality: 'low' })))
    await Promise.all(answers.map((res) => res.arrayBuffer()))
    await settled()
    const after = await usage(key)
    expect(after.balance_usd as number).toBeGreaterThanOrEqual(0)
    expect((after.balance_usd as number) + (after.spent_usd as number)).toBeCloseTo(0.5, 6)
  })

  it('keep the anonymous daily budget from being overrun the same way', async () => {
    fakeUpstream().reply(hugeUsage(), hugeUsage())
    const open = { ...env, GATEWAY_KEYS: '', PUBLIC_ACCESS: 'true', DAILY_BUDGET_USD: '0.5' }
    const call = () =>
      callGateway('/v1/images/generations', {
        env: open,
        body: { prompt: `anonymous ${Math.random()}`, quality: 'low' },
        headers: { 'cf-connecting-ip': '203.0.113.9' },
      })
    for (const res of await Promise.all([call(), call()])) await res.arrayBuffer()
    await settled()
    const day = new Date().toISOString().slice(0, 10)
    const stub = testEnv.LEDGERS.get(testEnv.LEDGERS.idFromName(`budget:${day}`))
    await runInDurableObject(stub, (ledger: AccessLedger) => {
      expect(ledger.usage().balanceMicros as number).toBeGreaterThanOrEqual(0)
      expect(ledger.usage().anomalies).toBeGreaterThan(0)
    })
  })
})

describe('reservations', () => {
  it('cover a prompt in any script: a token per UTF-8 byte, not per character', () => {
    const emoji = normalize({ prompt: '🦊'.repeat(1000), quality: 'low', size: '1024x1024' })
    const ascii = normalize({ prompt: 'f'.repeat(2000), quality: 'low', size: '1024x1024' })
    // 1000 foxes are 2000 UTF-16 units but 4000 UTF-8 bytes, and can be 4000 tokens.
    expect(estimateCost(emoji) - estimateCost(ascii)).toBe(2000 * 5)
  })

  it('cover every partial image of every image', () => {
    const base = { prompt: 'a fox', stream: true, n: 3, quality: 'low' as const }
    const none = estimateCost(normalize({ ...base, partial_images: 0 }))
    const three = estimateCost(normalize({ ...base, partial_images: 3 }))
    expect(three - none).toBe(3 * 3 * 100 * 40)
  })

  it('expire by an alarm when their generation never settles them; a late settlement charges nothing', async () => {
    const stub = testEnv.LEDGERS.get(testEnv.LEDGERS.idFromName('key:expiry-test'))
    let id = ''
    await runInDurableObject(stub, async (ledger: AccessLedger, state) => {
      await ledger.setup(
        {
          id: 'key_x',
          name: 'x',
          kind: 'secret',
          origins: [],
          permissions: {},
          rateLimitPerMinute: null,
          createdAt: '2026-12-01T00:00:00Z',
          revoked: false,
        },
        1_000_000,
      )
      const hold = await ledger.reserve(600_000, 60_000)
      if (!hold.ok) throw new Error('expected a reservation')
      id = hold.id
      expect(ledger.usage().balanceMicros).toBe(400_000)
      expect(await state.storage.getAlarm()).toBeGreaterThan(Date.now() + 59_000)
    })
    // The owner of that generation is gone; a minute later the alarm releases the hold.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    try {
      expect(await runDurableObjectAlarm(stub)).toBe(true)
      await runInDurableObject(stub, async (ledger: AccessLedger) => {
        expect(ledger.usage().balanceMicros).toBe(1_000_000)
        await ledger.settle(id, 500_000)
        expect(ledger.usage()).toMatchObject({
          balanceMicros: 1_000_000,
          spentMicros: 0,
          anomalies: 1,
          unbilledMicros: 500_000,
        })
      })
    } finally {
      vi.useRealTimers()
    }
  })

  it('settle to the reserved estimate when the upstream reports no usage', async () => {
    const stub = testEnv.LEDGERS.get(testEnv.LEDGERS.idFromName('budget:estimate-test'))
    const reservation = await stub.reserve(1234, 60_000, 10_000)
    if (!reservation.ok) throw new Error('expected a reservation')
    const ref = {
      ledger: 'budget:estimate-test',
      reservationId: reservation.id,
      reservedMicros: 1234,
    }
    await settleGeneration(testEnv as Bindings, ref, normalize({ prompt: 'x' }), undefined)
    expect((await stub.usage()).spentMicros).toBe(1234)
  })

  it('log a refund that fails, and never throw it', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const broken = {
      ...testEnv,
      LEDGERS: {
        idFromName: () => {
          throw new Error('storage down')
        },
      },
    } as unknown as Bindings
    await refund(broken, { ledger: 'key:abc', reservationId: 'r1', reservedMicros: 1 })
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('"event":"refund_failed"'))
    errors.mockRestore()
  })
})
