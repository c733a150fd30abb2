/**
 * The R2 cache: a result is paid for once; hits answer in the same shape as misses; only fields
 * that change the picture split the key; bypass and TTL work; no failure is ever stored.
 */
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cacheKey } from '../../src/cache/cache-key'
import { normalize } from '../../src/schema/image-request'
import {
  errorReply,
  FAKE_UPSTREAM_URL,
  IMAGES_RESPONSE_KEYS,
  successBody,
  TINY_PNG_B64,
} from '../fakes/upstream'
import { ENVS, fakeUpstream, generate, settled } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'

afterEach(() => {
  vi.useRealTimers()
})

const base = { prompt: 'a lighthouse at dawn' }

async function twice(first: Record<string, unknown>, second: Record<string, unknown>) {
  const fake = fakeUpstream()
  const a = await generate(first)
  await a.arrayBuffer()
  await settled()
  const b = await generate(second)
  await b.arrayBuffer()
  await settled()
  return { fake, first: a.headers.get('x-cache'), second: b.headers.get('x-cache') }
}

describe('cache hits and misses', () => {
  it('pays once: the second identical request is a hit with the same answer shape', async () => {
    const fake = fakeUpstream()
    const miss = await generate({ ...base, n: 2 })
    const missBody = (await miss.json()) as Record<string, unknown>
    await settled()
    const hit = await generate({ ...base, n: 2 })
    const hitBody = (await hit.json()) as Record<string, unknown>
    expect(miss.headers.get('x-cache')).toBe('MISS')
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(fake.calls).toHaveLength(1)
    expect(hitBody).toEqual(missBody)
    expect(Object.keys(hitBody).sort()).toEqual(IMAGES_RESPONSE_KEYS)
  })

  it('stores each image as its own object plus a manifest (the documented layout)', async () => {
    fakeUpstream()
    await (await generate({ ...base, n: 2 })).arrayBuffer()
    await settled()
    const key = await cacheKey(normalize({ ...base, n: 2 }), {
      upstream: FAKE_UPSTREAM_URL,
      scope: null,
    })
    const keys = await storedKeys()
    expect(keys.filter((k) => k.startsWith('manifests/'))).toEqual([`manifests/${key}.json`])
    const images = keys.filter((k) => k.startsWith('images/'))
    expect(images).toHaveLength(2)
    for (const k of images) expect(k).toMatch(/^images\/[0-9a-f]{32}\.png$/)
    const object = await env.IMAGES.get(images[0] as string)
    expect(object?.httpMetadata?.contentType).toBe('image/png')
    expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(
      Uint8Array.from(atob(TINY_PNG_B64), (ch) => ch.charCodeAt(0)),
    )
    const manifest = (await (await env.IMAGES.get(`manifests/${key}.json`))?.json()) as Record<
      string,
      unknown
    >
    expect(manifest).toMatchObject({
      version: 1,
      key,
      request: { model: 'gpt-image-1', prompt: base.prompt, n: 2 },
      result: { size: '1024x1024', usage: { total_tokens: 1066 } },
    })
  })

  it.each([
    ['user', { user: 'alice' }, { user: 'bob' }],
    ['stream and partial_images', {}, { stream: true, partial_images: 2 }],
    ['response_format', {}, { response_format: 'url' }],
    ['field order', { quality: 'high', size: '1536x1024' }, { size: '1536x1024', quality: 'high' }],
    [
      'explicit defaults',
      {},
      {
        model: 'gpt-image-1',
        n: 1,
        size: 'auto',
        quality: 'auto',
        background: 'auto',
        moderation: 'auto',
        output_format: 'png',
      },
    ],
    ['output_format auto and png', { output_format: 'auto' }, { output_format: 'png' }],
  ])('does not split the key on %s', async (_label, a, b) => {
    const result = await twice({ ...base, ...a }, { ...base, ...b })
    expect([result.first, result.second]).toEqual(['MISS', 'HIT'])
    expect(result.fake.calls).toHaveLength(1)
  })

  it.each([
    ['model', { model: 'gpt-image-1-mini' }],
    ['prompt', { prompt: 'a lighthouse at dusk' }],
    ['n', { n: 2 }],
    ['size', { size: '1536x1024' }],
    ['quality', { quality: 'high' }],
    ['background', { background: 'opaque' }],
    ['output_format', { output_format: 'jpeg' }],
    ['moderation', { moderation: 'low' }],
  ])('splits the key on %s', async (_label, change) => {
    const result = await twice(base, { ...base, ...change })
    expect([result.first, result.second]).toEqual(['MISS', 'MISS'])
    expect(result.fake.calls).toHaveLength(2)
  })

  it('splits the key on output_compression for jpeg', async () => {
    const jpeg = { ...base, output_format: 'jpeg' }
    const result = await twice(
      { ...jpeg, output_compression: 50 },
      { ...jpeg, output_compression: 60 },
    )
    expect(result.second).toBe('MISS')
  })
})

describe('bypass and TTL', () => {
  it('regenerates on Cache-Control: no-cache and replaces the entry', async () => {
    const fake = fakeUpstream()
    await (await generate(base)).arrayBuffer()
    await settled()
    const bypass = await generate(base, { headers: { 'cache-control': 'no-cache' } })
    expect(bypass.headers.get('x-cache')).toBe('BYPASS')
    await bypass.arrayBuffer()
    await settled()
    expect(fake.calls).toHaveLength(2)
    const hit = await generate(base)
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(fake.calls).toHaveLength(2)
  })

  it('keeps URLs handed out before a bypass working', async () => {
    fakeUpstream()
    const first = (await (await generate({ ...base, response_format: 'url' })).json()) as {
      data: { url: string }[]
    }
    await settled()
    const second = (await (
      await generate(
        { ...base, response_format: 'url' },
        { headers: { 'cache-control': 'no-cache' } },
      )
    ).json()) as { data: { url: string }[] }
    await settled()
    expect(second.data[0]?.url).not.toBe(first.data[0]?.url)
    const path = new URL(first.data[0]?.url ?? '').pathname
    expect((await env.IMAGES.head(path.replace('/v1/', ''))) !== null).toBe(true)
  })

  it('treats entries older than CACHE_TTL_SECONDS as misses', async () => {
    const fake = fakeUpstream()
    const withTtl = { env: { ...ENVS.remote, CACHE_TTL_SECONDS: '1' } }
    await (await generate(base, withTtl)).arrayBuffer()
    await settled()
    expect((await generate(base, withTtl)).headers.get('x-cache')).toBe('HIT')
    // A second and a bit later, by the clock the gateway reads (timers keep running for real).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 1100 })
    const expired = await generate(base, withTtl)
    expect(expired.headers.get('x-cache')).toBe('MISS')
    await expired.arrayBuffer()
    await settled()
    expect(fake.calls).toHaveLength(2)
    expect((await generate(base, withTtl)).headers.get('x-cache')).toBe('HIT')
  })
})

describe('no failure is ever cached', () => {
  it.each([
    ['an upstream 500', [errorReply(500, {}), errorReply(500, {})]],
    ['a content policy block', [errorReply(400, { code: 'moderation_blocked' })]],
    [
      'a body cut off inside an image',
      [
        {
          kind: 'chunks' as const,
          chunks: ['{"created":1,"data":[{"b64_json":"iVBORw0KGgo'],
          contentType: 'application/json',
        },
      ],
    ],
    [
      'a connection reset mid-body',
      [
        {
          kind: 'chunks' as const,
          chunks: ['{"created":1,"data":[{"b64_json":"iVBORw0KGgo'],
          contentType: 'application/json',
          end: 'reset' as const,
        },
      ],
    ],
    [
      'JSON that is not an images answer',
      [{ kind: 'json' as const, status: 200, body: { hello: 'world' } }],
    ],
    [
      'bytes that are not an image',
      [
        {
          kind: 'json' as const,
          status: 200,
          body: { created: 1, data: [{ b64_json: btoa('not an image') }] },
        },
      ],
    ],
    [
      'fewer images than asked for',
      [{ kind: 'json' as const, status: 200, body: successBody({ n: 1 }) }],
    ],
  ])('stores nothing after %s', async (_label, replies) => {
    fakeUpstream().reply(...replies)
    const res = await generate({ ...base, n: _label === 'fewer images than asked for' ? 2 : 1 })
    await res.arrayBuffer().catch(() => null)
    await settled()
    expect(await storedKeys()).toEqual([])
  })

  it('reports a body cut off before the first image as a 500, before any byte', async () => {
    fakeUpstream().reply({
      kind: 'chunks',
      chunks: ['{"created":1,"data":[{"b64'],
      contentType: 'application/json',
      end: 'reset',
    })
    const res = await generate(base)
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'upstream_unavailable',
    )
  })

  it('breaks the body, never sends truncated JSON, when the upstream fails after the first image', async () => {
    const image = `{"b64_json":"${TINY_PNG_B64}"}`
    fakeUpstream().reply({
      kind: 'chunks',
      chunks: [`{"created":1,"data":[${image},{"b64_json":"iVBOR`],
      contentType: 'application/json',
      end: 'reset',
    })
    const res = await generate({ ...base, n: 2 })
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
  })
})
