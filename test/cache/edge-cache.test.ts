/**
 * Repeat views from the edge (issue 12): an image's second view, a cache hit's second time and an
 * image variant are answered by this data centre's cache without touching R2 (counted by a
 * wrapper around the R2 binding); a bypass replaces the edge-cached manifest; variants have the
 * width and format asked for; answers say where the time went (Server-Timing).
 */
import { env as baseEnv } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../../src/env'
import { callGateway, ENVS, fakeUpstream, generate, settled } from '../helpers/gateway'
import { countingBucket } from '../helpers/r2'

async function urlOf(env: Partial<Bindings>, prompt: string) {
  const res = await generate({ prompt, response_format: 'url' }, { env })
  const { data } = (await res.json()) as { data: { url: string }[] }
  await settled()
  return new URL(data[0]?.url ?? '').pathname
}

describe('the edge cache', () => {
  it('answers a second view of an image without R2, Range and ETag included', async () => {
    fakeUpstream()
    const { bucket, counts } = countingBucket()
    const env = { ...ENVS.remote, IMAGES: bucket }
    const path = await urlOf(env, 'a view from the edge')
    const first = await callGateway(path, { env })
    const bytes = new Uint8Array(await first.arrayBuffer())
    await settled()
    counts.operations = 0
    const second = await callGateway(path, { env })
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(bytes)
    const ranged = await callGateway(path, { env, headers: { range: 'bytes=0-3' } })
    expect(ranged.status).toBe(206)
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(bytes.subarray(0, 4))
    const etag = second.headers.get('etag') ?? ''
    const unchanged = await callGateway(path, { env, headers: { 'if-none-match': etag } })
    expect(unchanged.status).toBe(304)
    expect(counts.operations).toBe(0)
  })

  it('answers a repeated cache hit, manifest and image, without R2', async () => {
    fakeUpstream()
    const { bucket, counts } = countingBucket()
    const env = { ...ENVS.remote, IMAGES: bucket }
    const body = { prompt: 'a hit from the edge' }
    await (await generate(body, { env })).arrayBuffer()
    await settled()
    const firstHit = await generate(body, { env })
    const expected = await firstHit.json()
    await settled()
    counts.operations = 0
    const hit = await generate(body, { env })
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(await hit.json()).toEqual(expected)
    expect(counts.operations).toBe(0)
  })

  it('lets a bypass replace the manifest it keeps', async () => {
    fakeUpstream()
    const body = { prompt: 'a replaced picture', response_format: 'url' }
    await (await generate(body)).arrayBuffer()
    await settled()
    const before = (await (await generate(body)).json()) as { data: { url: string }[] }
    const bypass = await generate(body, { headers: { 'cache-control': 'no-cache' } })
    const replaced = (await bypass.json()) as { data: { url: string }[] }
    await settled()
    const after = await generate(body)
    expect(after.headers.get('x-cache')).toBe('HIT')
    const now = (await after.json()) as { data: { url: string }[] }
    expect(now.data[0]?.url).toBe(replaced.data[0]?.url)
    expect(now.data[0]?.url).not.toBe(before.data[0]?.url)
  })

  it('says where the time went', async () => {
    fakeUpstream()
    const res = await generate({ prompt: 'timed' })
    await res.arrayBuffer()
    const timing = res.headers.get('server-timing') ?? ''
    for (const metric of ['auth', 'cache', 'owner', 'upstream', 'total'])
      expect(timing).toMatch(new RegExp(`(^|,)${metric};`))
  })
})

describe('variants', () => {
  it('are made once at the width and format asked for, then served from the edge', async () => {
    const { bucket, counts } = countingBucket()
    const env = { ...ENVS.demo, IMAGES: bucket }
    const path = await urlOf(env, 'a wide picture for a thumbnail')
    const res = await callGateway(`${path}?width=256&format=webp`, { env })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/webp')
    const info = await baseEnv.IMAGE_TRANSFORMS.info(res.body as ReadableStream<Uint8Array>)
    expect(info).toMatchObject({ format: 'image/webp', width: 256 })
    await settled()
    const id = path.split('/').pop()?.split('.')[0]
    expect((await baseEnv.IMAGES.list({ prefix: 'variants/' })).objects.map((o) => o.key)).toEqual([
      `variants/${id}-w256.webp`,
    ])
    counts.operations = 0
    const again = await callGateway(`${path}?width=256&format=webp`, { env })
    expect(again.status).toBe(200)
    await again.arrayBuffer()
    expect(counts.operations).toBe(0)
  })

  it.each([
    ['width=300', 'width'],
    ['format=gif', 'format'],
  ])('refuse %s, naming the parameter', async (query, param) => {
    const path = await urlOf(ENVS.demo, 'a refused variant')
    const res = await callGateway(`${path}?${query}`, { env: ENVS.demo })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe(param)
  })

  it('are refused, not ignored, without the Images binding', async () => {
    const env = { ...ENVS.demo, IMAGE_TRANSFORMS: undefined }
    const path = await urlOf(env, 'no binding')
    const res = await callGateway(`${path}?width=512`, { env })
    expect(res.status).toBe(400)
    expect((await res.json()) as object).toMatchObject({
      error: { param: 'width', code: 'variants_not_configured' },
    })
  })
})
