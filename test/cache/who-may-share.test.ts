/**
 * Whose results the cache serves (issue 11, items 4, 5 and 13): only the operator forces a paid
 * regeneration; pictures the demo made never answer a paid request; a key may keep its own cache.
 */
import { describe, expect, it } from 'vitest'
import { callGateway, ENVS, fakeUpstream, generate, settled } from '../helpers/gateway'
import { ADMIN, createKey, env, gen } from '../helpers/keys'

const NO_CACHE = { 'cache-control': 'no-cache' }

async function twice(send: () => Promise<Response>) {
  const first = await send()
  await first.arrayBuffer()
  await settled()
  const second = await send()
  await second.arrayBuffer()
  await settled()
  return [first.headers.get('x-cache'), second.headers.get('x-cache')]
}

describe('Cache-Control: no-cache', () => {
  it('regenerates, and pays, for the operator’s bootstrap key', async () => {
    const fake = fakeUpstream()
    const prompt = 'operator fox'
    expect(await twice(() => generate({ prompt }, { headers: NO_CACHE }))).toEqual([
      'BYPASS',
      'BYPASS',
    ])
    expect(fake.calls).toHaveLength(2)
  })

  it('regenerates for a secret key with the regenerate permission', async () => {
    const fake = fakeUpstream()
    const { key } = await createKey({
      name: 'ops',
      kind: 'secret',
      permissions: { regenerate: true },
    })
    const body = { prompt: 'permitted fox' }
    expect(await twice(() => gen(key, body, NO_CACHE))).toEqual(['BYPASS', 'BYPASS'])
    expect(fake.calls).toHaveLength(2)
  })

  it.each([
    ['a secret key without the permission', { name: 's', kind: 'secret' }, {}],
    [
      'a publishable key',
      { name: 'p', kind: 'publishable', origins: ['https://site.example'] },
      { origin: 'https://site.example' },
    ],
  ])('is ignored for %s: the cached result answers', async (_label, spec, headers) => {
    const fake = fakeUpstream()
    const { key } = await createKey(spec)
    const body = { prompt: `ignored fox ${_label}` }
    expect(await twice(() => gen(key, body, { ...NO_CACHE, ...headers }))).toEqual(['MISS', 'HIT'])
    expect(fake.calls).toHaveLength(1)
  })

  it('refuses the permission on a publishable key, which sits in a page', async () => {
    const res = await fetchCreate({
      name: 'p',
      kind: 'publishable',
      origins: ['https://site.example'],
      permissions: { regenerate: true },
    })
    expect(res.status).toBe(400)
  })
})

function fetchCreate(body: Record<string, unknown>) {
  return callGateway('/v1/admin/keys', { env, body, headers: { authorization: `Bearer ${ADMIN}` } })
}

describe('the demo generator', () => {
  it('never answers a paid request with a picture it made', async () => {
    const demo = await generate({ prompt: 'a demo fox' }, { env: ENVS.demo })
    expect(demo.headers.get('x-upstream')).toBe('demo')
    await demo.arrayBuffer()
    await settled()
    // The same request once a real upstream is configured: a miss, paid for, not the demo's.
    const fake = fakeUpstream()
    const paid = await generate({ prompt: 'a demo fox' })
    expect(paid.headers.get('x-cache')).toBe('MISS')
    await paid.arrayBuffer()
    expect(fake.calls).toHaveLength(1)
  })
})

describe('cache_scope', () => {
  it('keeps a private key’s results its own, both ways', async () => {
    const fake = fakeUpstream()
    const shared = await createKey({ name: 'shared', kind: 'secret' })
    const own = await createKey({ name: 'private', kind: 'secret', cache_scope: 'key' })
    const body = { prompt: 'a secret project' }
    for (const key of [shared.key, own.key, shared.key, own.key]) {
      await (await gen(key, body)).arrayBuffer()
      await settled()
    }
    // One generation each: the second request of each key hit its own cache, never the other's.
    expect(fake.calls).toHaveLength(2)
    const again = await gen(own.key, body)
    expect(again.headers.get('x-cache')).toBe('HIT')
    await again.arrayBuffer()
  })
})
