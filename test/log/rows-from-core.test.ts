/**
 * Rows the gateway writes for its requests, end to end: one per request that reached the core
 * (miss, hit, join, bypass, refusal, upstream failure with refund, embed visit that generated),
 * with the money where it is known, and usage sums equal to the ledgers'.
 */
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { signedEmbedUrl } from '../../src/embed/signing'
import { listRequests } from '../../src/log/requests'
import type { RequestRow } from '../../src/log/row'
import { usage as usageReport } from '../../src/log/usage'
import { errorReply, gate, imageStreamFrames } from '../fakes/upstream'
import {
  CLIENT_KEY,
  callGateway,
  ENVS,
  fakeUpstream,
  GATEWAY_URL,
  generate,
  settled,
} from '../helpers/gateway'
import { createKey, env, FAKE_COST, gen, usage } from '../helpers/keys'

const COST_MICROS = Math.round(FAKE_COST * 1_000_000)

async function rows(): Promise<RequestRow[]> {
  await settled()
  return (await listRequests(bindings.USAGE, { limit: 200 })).data.toReversed()
}

const requestId = (res: Response) => res.headers.get('x-gateway-request-id') ?? ''

describe('rows from the core', () => {
  it('a miss, then a hit: who, what, the cache, the money, the pictures, the timings', async () => {
    fakeUpstream()
    const key = await createKey({ name: 'alice', kind: 'secret', balance_usd: 5 })
    // Quality left to auto: held as high, so the fake's usage is charged in full.
    const body = { prompt: 'a red fox', size: '1024x1024' }
    const miss = await gen(key.key, body)
    const missImage = ((await miss.json()) as { data: unknown[] }).data
    expect(missImage).toHaveLength(1)
    const hit = await gen(key.key, body)
    await hit.arrayBuffer()
    const [first, second] = await rows()
    expect(first).toMatchObject({
      id: requestId(miss),
      keyId: key.id,
      kind: 'generation',
      model: 'gpt-image-1',
      size: '1024x1024',
      quality: 'auto',
      n: 1,
      cache: 'MISS',
      status: 200,
      code: null,
      chargedMicros: COST_MICROS,
      costMicros: COST_MICROS,
      savedMicros: 0,
      upstream: 'default',
      prompt: 'a red fox',
    })
    expect(first?.reservedMicros).toBeGreaterThanOrEqual(COST_MICROS)
    expect(first?.images).toEqual([expect.stringMatching(/^[0-9a-f]{32}\.png$/)])
    expect(first?.ttfbMs).toBeGreaterThanOrEqual(0)
    expect(first?.durationMs).toBeGreaterThanOrEqual(0)
    expect(second).toMatchObject({
      id: requestId(hit),
      cache: 'HIT',
      status: 200,
      reservedMicros: 0,
      chargedMicros: 0,
      costMicros: 0,
      savedMicros: COST_MICROS,
      upstream: null,
      images: first?.images,
    })
  })

  it('a join: the second of two identical requests shares the first one’s generation', async () => {
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(1),
      hold: { after: 1, until: release.opened },
    })
    const body = { prompt: 'a shared fox', stream: true, partial_images: 1 }
    const headers = { authorization: `Bearer ${CLIENT_KEY}` }
    const call = () => callGateway('/v1/images/generations', { body, headers })
    const starter = await call()
    const joiner = await call()
    release.open()
    await Promise.all([starter.text(), joiner.text()])
    expect(fake.calls).toHaveLength(1)
    const logged = await rows()
    expect(logged.map((r) => [r.id, r.keyId, r.cache, r.status])).toEqual([
      [requestId(starter), 'operator:0', 'MISS', 200],
      [requestId(joiner), 'operator:0', 'JOIN', 200],
    ])
    // The operator's keys pay nothing; what the usage was worth is the spend, and a join saved it.
    expect(logged[0]).toMatchObject({ reservedMicros: 0, chargedMicros: 0, savedMicros: 0 })
    expect(logged[0]?.costMicros).toBeGreaterThan(0)
    expect(logged[1]).toMatchObject({ costMicros: 0, savedMicros: logged[0]?.costMicros })
    expect(logged[1]?.images).toEqual(logged[0]?.images)
  })

  it('a bypass with no-cache', async () => {
    fakeUpstream()
    const headers = { authorization: `Bearer ${CLIENT_KEY}`, 'cache-control': 'no-cache' }
    const res = await callGateway('/v1/images/generations', { body: { prompt: 'x' }, headers })
    await res.arrayBuffer()
    expect((await rows()).map((r) => r.cache)).toEqual(['BYPASS'])
  })

  it('refusals with their code: a bad parameter, a balance too low; none for an unknown key', async () => {
    const fake = fakeUpstream()
    const key = await createKey({ name: 'poor', kind: 'secret', balance_usd: 0.000001 })
    const invalid = await gen(key.key, { size: '7x7' })
    expect(invalid.status).toBe(400)
    const poor = await gen(key.key, { prompt: 'a costly fox' })
    expect(poor.status).toBe(403)
    const unknown = await gen('sk-gw-unknown', {})
    expect(unknown.status).toBe(401)
    expect(fake.calls).toHaveLength(0)
    const logged = await rows()
    expect(logged.map((r) => [r.id, r.status, r.code, r.chargedMicros])).toEqual([
      [requestId(invalid), 400, 'invalid_size', 0],
      [requestId(poor), 403, 'insufficient_balance', 0],
    ])
    expect(logged[1]).toMatchObject({ model: 'gpt-image-1', prompt: 'a costly fox', cache: null })
  })

  it('an upstream failure: refunded, its status and code on record', async () => {
    // The gateway retries a 500 once: both fail.
    const failed = errorReply(500, { type: 'server_error', code: 'server_error' })
    fakeUpstream().reply(failed, failed)
    const key = await createKey({ name: 'alice', kind: 'secret', balance_usd: 5 })
    const res = await gen(key.key, { prompt: 'a failing fox' })
    expect(res.status).toBeGreaterThanOrEqual(500)
    const [row] = await rows()
    expect(row).toMatchObject({ status: res.status, chargedMicros: 0, costMicros: 0, images: [] })
    expect(row?.code).toBeTruthy()
    expect(row?.reservedMicros).toBeGreaterThan(0)
    expect((await usage(key.key)).spent_usd).toBe(0)
  })

  it('a stream that breaks after it began: the failure’s status and code, refunded', async () => {
    const [partial = ''] = imageStreamFrames(1)
    fakeUpstream().reply({
      kind: 'chunks',
      chunks: [partial],
      contentType: 'text/event-stream',
      end: 'reset',
    })
    const key = await createKey({ name: 'alice', kind: 'secret', balance_usd: 5 })
    const res = await gen(key.key, { prompt: 'a broken stream', stream: true, partial_images: 1 })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('event: error')
    const [row] = await rows()
    expect(row).toMatchObject({ cache: 'MISS', chargedMicros: 0, costMicros: 0, images: [] })
    expect(row?.status).toBeGreaterThanOrEqual(500)
    expect(row?.code).toBeTruthy()
    expect(row?.reservedMicros).toBeGreaterThan(0)
  })

  it('an embed visit that generated, and none for the visits served from the cache', async () => {
    fakeUpstream()
    const secret = 'embed-secret-for-tests'
    const e = { ...ENVS.remote, EMBED_SIGNING_SECRET: secret }
    const fields = new URLSearchParams({ prompt: 'an embedded fox' })
    const path = (await signedEmbedUrl(GATEWAY_URL, secret, fields)).slice(GATEWAY_URL.length)
    const first = await callGateway(path, { env: e })
    expect(first.status).toBe(302)
    await settled()
    expect((await callGateway(path, { env: e })).headers.get('x-cache')).toBe('HIT')
    const logged = await rows()
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ kind: 'embed', keyId: 'embed', cache: 'MISS', status: 302 })
    expect(logged[0]?.images).toHaveLength(1)
  })

  it('the demo generator’s requests cost nothing, and its hits save nothing', async () => {
    const body = { prompt: 'a demo fox', size: '1024x1024', quality: 'low' }
    for (let i = 0; i < 2; i++) {
      const res = await callGateway('/v1/images/generations', { env: ENVS.demo, body })
      await res.arrayBuffer()
      await settled()
    }
    const logged = await rows()
    expect(logged.map((r) => [r.keyId, r.cache, r.upstream, r.costMicros, r.savedMicros])).toEqual([
      ['anonymous', 'MISS', 'demo', 0, 0],
      ['anonymous', 'HIT', null, 0, 0],
    ])
  })

  it('views of a stored image are counted per day, not written as rows', async () => {
    fakeUpstream()
    const res = await generate({ prompt: 'a viewed fox', response_format: 'url' })
    const [url = ''] = ((await res.json()) as { data: { url: string }[] }).data.map((d) => d.url)
    await settled()
    const path = new URL(url).pathname
    const etag = (await callGateway(path)).headers.get('etag') ?? ''
    await callGateway(path)
    await callGateway(path, { headers: { 'if-none-match': etag } })
    await callGateway(path, { headers: { range: 'bytes=0-3' } })
    expect(await rows()).toHaveLength(1)
    const { results } = await bindings.USAGE.prepare('SELECT * FROM image_views').all()
    const day = new Date().toISOString().slice(0, 10)
    expect(results).toEqual([{ day, image: path.split('/').at(-1), views: 3 }])
  })

  it('usage sums equal the ledgers’: spend and savings per key', async () => {
    fakeUpstream()
    const a = await createKey({ name: 'a', kind: 'secret', balance_usd: 5 })
    const b = await createKey({ name: 'b', kind: 'secret', balance_usd: 5 })
    for (const [key, prompt] of [
      [a, 'one'],
      [a, 'two'],
      [a, 'one'],
      [b, 'two'],
      [b, 'three'],
    ] as const) {
      const res = await gen(key.key, { prompt })
      await res.arrayBuffer()
      await settled()
    }
    await settled()
    const report = await usageReport(bindings.USAGE, {
      from: 0,
      to: Date.now() + 1,
      groupBy: 'key',
    })
    for (const key of [a, b]) {
      const ledger = await usage(key.key, env)
      const logged = report.find((r) => 'key_id' in r && r.key_id === key.id)
      expect(logged?.cost_usd).toBe(ledger.spent_usd)
      expect(logged?.saved_usd).toBe(ledger.saved_usd)
      expect(logged?.cache_hits).toBe(ledger.cache_hits)
    }
    const charged = (await rows()).reduce((sum, r) => sum + r.chargedMicros, 0)
    expect(charged).toBe(
      Math.round(((await usage(a.key)).spent_usd ?? 0) * 1e6) +
        Math.round(((await usage(b.key)).spent_usd ?? 0) * 1e6),
    )
  })
})
