/** Images by URL: response_format "url" and GET /v1/images/{id}.{ext} served from R2. */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { TINY_PNG_B64 } from '../fakes/upstream'
import { callGateway, ENVS, fakeUpstream, GATEWAY_URL, generate, settled } from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

const pngBytes = Uint8Array.from(atob(TINY_PNG_B64), (ch) => ch.charCodeAt(0))

/** The test bucket, except that every `get` fails with R2's `message`. */
function bucketWhoseGetFails(message: string): R2Bucket {
  return new Proxy(env.IMAGES, {
    get(target, property) {
      if (property === 'get') return () => Promise.reject(new Error(message))
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

async function urlsFor(body: Record<string, unknown>) {
  const res = await generate({ ...body, response_format: 'url' })
  expect(res.status).toBe(200)
  const json = (await res.json()) as { created: number; data: { url: string }[]; size: string }
  await settled()
  return { res, json }
}

describe('response_format url', () => {
  it('answers with absolute image URLs and never sends response_format upstream', async () => {
    const fake = fakeUpstream()
    const { json } = await urlsFor({ prompt: 'a fox', n: 2 })
    expect(json.data).toHaveLength(2)
    for (const { url } of json.data)
      expect(url).toMatch(new RegExp(`^${GATEWAY_URL}/v1/images/[0-9a-f]{32}\\.png$`))
    expect(json).toMatchObject({ created: 1_700_000_000, size: '1024x1024' })
    expect(fake.calls[0]?.body).not.toHaveProperty('response_format')
  })

  it('gives URLs on a hit too', async () => {
    const fake = fakeUpstream()
    const first = await urlsFor({ prompt: 'a fox' })
    const again = await urlsFor({ prompt: 'a fox' })
    expect(again.res.headers.get('x-cache')).toBe('HIT')
    expect(again.json.data).toEqual(first.json.data)
    expect(fake.calls).toHaveLength(1)
  })

  it('puts URLs in completed events when streaming', async () => {
    fakeUpstream()
    const res = await generate({ prompt: 'a fox', stream: true, response_format: 'url' })
    const events = await readEvents(res)
    const completed = JSON.parse(events.at(-1)?.data ?? '{}') as Record<string, unknown>
    expect(completed.type).toBe('image_generation.completed')
    expect(completed.url).toMatch(/\/v1\/images\/[0-9a-f]{32}\.png$/)
    expect(completed).not.toHaveProperty('b64_json')
  })
})

describe('GET /v1/images/{id}.{ext}', () => {
  async function storedUrl() {
    fakeUpstream()
    const { json } = await urlsFor({ prompt: 'a fox' })
    return new URL(json.data[0]?.url ?? '').pathname
  }

  it('serves the image with its type and immutable caching headers', async () => {
    const path = await storedUrl()
    const res = await callGateway(path)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('etag')).toMatch(/^".+"$/)
    expect(res.headers.get('content-length')).toBe(String(pngBytes.length))
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(pngBytes)
  })

  it('answers If-None-Match with 304 and no body', async () => {
    const path = await storedUrl()
    const etag = (await callGateway(path)).headers.get('etag') ?? ''
    const res = await callGateway(path, { headers: { 'if-none-match': etag } })
    expect(res.status).toBe(304)
    expect(res.headers.get('etag')).toBe(etag)
    expect(await res.text()).toBe('')
  })

  it('answers Range requests with 206 and the requested bytes', async () => {
    const path = await storedUrl()
    const res = await callGateway(path, { headers: { range: 'bytes=0-9' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 0-9/${pngBytes.length}`)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(pngBytes.slice(0, 10))
    const suffix = await callGateway(path, { headers: { range: 'bytes=-5' } })
    expect(suffix.status).toBe(206)
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(pngBytes.slice(-5))
  })

  it.each([
    ['an unknown id', `/v1/images/${'0'.repeat(32)}.png`],
    ['a known id with the wrong extension', null],
    ['a malformed id', '/v1/images/../../manifests/x.json'],
    ['a short id', '/v1/images/abc.png'],
  ])('answers %s with a 404 envelope', async (label, given) => {
    const path = given ?? (await storedUrl()).replace('.png', '.jpeg')
    if (given) fakeUpstream()
    const res = await callGateway(path)
    expect(res.status, label).toBe(404)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found')
  })

  it('answers a range R2 cannot satisfy with 416 and the image length', async () => {
    const path = await storedUrl()
    const res = await callGateway(path, {
      env: {
        ...ENVS.remote,
        IMAGES: bucketWhoseGetFails('get: The requested range is not satisfiable (10039)'),
      },
      headers: { range: 'bytes=9999-' },
    })
    expect(res.status).toBe(416)
    expect(res.headers.get('content-range')).toBe(`bytes */${pngBytes.length}`)
  })

  it.each([
    ['with a Range header', { range: 'bytes=0-9' }],
    ['without one', {}],
  ])('lets any other R2 failure reach the error model (%s)', async (_label, headers) => {
    const path = await storedUrl()
    const res = await callGateway(path, {
      env: {
        ...ENVS.remote,
        IMAGES: bucketWhoseGetFails('get: We encountered an internal error (10001)'),
      },
      headers,
    })
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('internal_error')
  })
})
