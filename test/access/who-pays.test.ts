/**
 * Who pays for a generation (issue 18, item 8): only the request that really starts one, reserved
 * by the generation's owner after its own cache check. Joiners and hits never reserve, so a key
 * with no balance gets a picture someone else pays for; a refused starter starts nothing and
 * leaves a funded joiner to start; every reservation is settled or refunded exactly once.
 */
import { describe, expect, it } from 'vitest'
import { errorReply, gate, imageStreamFrames } from '../fakes/upstream'
import { fakeUpstream, settled } from '../helpers/gateway'
import { errorOf, gen, usage } from '../helpers/keys'
import { joinOf, joinTogether, keyWith } from '../helpers/owner'
import { watchEvents } from '../helpers/sse'

/** What a key that started with $1 has spent, and what its ledger still holds. */
async function moneyOf(key: string) {
  const { balance_usd, spent_usd } = await usage(key)
  return { spent: spent_usd as number, held: 1 - (balance_usd as number) - (spent_usd as number) }
}

/** The key paid for one generation: something was spent, and nothing is held any more. */
async function expectPaidOnce(key: string) {
  const { spent, held } = await moneyOf(key)
  expect(spent).toBeGreaterThan(0)
  expect(held).toBeCloseTo(0, 9)
}

describe('joiners and hits', () => {
  it('never reserve: a key with no balance that joins a running generation gets it free', async () => {
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(1),
      hold: { after: 1, until: release.opened },
    })
    const rich = await keyWith(1)
    const poor = await keyWith(0)
    const body = { prompt: 'a lighthouse in fog', stream: true, partial_images: 1 }
    const first = watchEvents(await gen(rich.key, body))
    await first.seen(1) // the generation runs: its partial image reached the first client
    const joined = await gen(poor.key, body).finally(release.open)
    expect(joined.status).toBe(200)
    expect(joined.headers.get('x-cache')).toBe('MISS')
    expect((await watchEvents(joined).all).map((e) => e.event)).toContain(
      'image_generation.completed',
    )
    await first.all
    await settled()
    expect(fake.calls).toHaveLength(1)
    expect(await usage(poor.key)).toMatchObject({ balance_usd: 0, spent_usd: 0 })
    await expectPaidOnce(rich.key)
  })

  it('never reserve for a result committed just before the owner looked', async () => {
    fakeUpstream()
    const rich = await keyWith(1)
    const poor = await keyWith(0)
    await (await gen(rich.key, { prompt: 'a kettle on a stove' })).arrayBuffer()
    await settled()
    const [result] = await joinTogether([await joinOf('a kettle on a stove', poor.principal)])
    expect(result).toEqual({ kind: 'cached' })
    expect(await usage(poor.key)).toMatchObject({ balance_usd: 0, spent_usd: 0 })
  })
})

describe('a starter that cannot pay', () => {
  it('is refused alone; a funded request that joined meanwhile starts and pays once', async () => {
    const fake = fakeUpstream()
    const poor = await keyWith(0)
    const rich = await keyWith(1)
    const prompt = 'a comet over a barn'
    const [refused, served] = await joinTogether([
      await joinOf(prompt, poor.principal),
      await joinOf(prompt, rich.principal),
    ])
    expect(refused).toMatchObject({
      kind: 'failed',
      failure: { kind: 'forbidden', code: 'insufficient_balance' },
    })
    expect(served).toMatchObject({ kind: 'answer' })
    expect(fake.calls).toHaveLength(1)
    expect(await usage(poor.key)).toMatchObject({ balance_usd: 0, spent_usd: 0 })
    await expectPaidOnce(rich.key)
  })

  it('leaves exactly one of several funded joiners to start and pay', async () => {
    const fake = fakeUpstream()
    const poor = await keyWith(0)
    const funded = [await keyWith(1), await keyWith(1), await keyWith(1)]
    const prompt = 'three kites'
    const joins = [poor, ...funded].map(({ principal }) => joinOf(prompt, principal))
    const results = await joinTogether(await Promise.all(joins))
    expect(results.map((result) => result.kind)).toEqual(['failed', 'answer', 'answer', 'answer'])
    expect(fake.calls).toHaveLength(1)
    const money = await Promise.all(funded.map(({ key }) => moneyOf(key)))
    expect(money.filter(({ spent }) => spent > 0)).toHaveLength(1)
    for (const { held } of money) expect(held).toBeCloseTo(0, 9)
  })

  it('is refused through the gateway before any upstream call', async () => {
    const fake = fakeUpstream()
    const poor = await keyWith(0)
    const res = await gen(poor.key, { prompt: 'a quiet pond' })
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('insufficient_balance')
    expect(fake.calls).toEqual([])
  })
})

describe('a generation that fails', () => {
  it('refunds its one reservation, and its joiners were never charged', async () => {
    const fake = fakeUpstream().reply(errorReply(500, {}), errorReply(500, {}))
    const starter = await keyWith(1)
    const joiner = await keyWith(1)
    const prompt = 'a broken vase'
    const results = await joinTogether([
      await joinOf(prompt, starter.principal),
      await joinOf(prompt, joiner.principal),
    ])
    expect(results.map((result) => result.kind)).toEqual(['failed', 'failed'])
    expect(fake.calls.length).toBeGreaterThan(0)
    for (const { key } of [starter, joiner])
      expect(await usage(key)).toMatchObject({ balance_usd: 1, spent_usd: 0 })
  })
})
