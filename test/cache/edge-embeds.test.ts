/**
 * Embed redirects at the edge (issue 12): a signed URL's repeat visit answers its 302 without R2,
 * after its signature is checked; `width` and `format` (not signed) point the redirect at a
 * variant, and are refused before anything is spent when the gateway cannot make variants.
 */
import { env as baseEnv } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { embedder } from '../helpers/embeds'
import { callGateway, fakeUpstream, settled } from '../helpers/gateway'
import { countingBucket } from '../helpers/r2'

const SECRET = 'embed-secret-for-edge-tests'
const { env, signed } = embedder(SECRET)

describe('embed redirects at the edge', () => {
  it('answer a repeat visit without R2, and still check the signature first', async () => {
    const fake = fakeUpstream()
    const { bucket, counts } = countingBucket()
    const edgeEnv = { ...env, IMAGES: bucket }
    const path = await signed({ prompt: 'a lighthouse seen from the edge' })
    const first = await callGateway(path, { env: edgeEnv })
    expect(first.status).toBe(302)
    await settled()
    const firstHit = await callGateway(path, { env: edgeEnv })
    expect(firstHit.headers.get('x-cache')).toBe('HIT')
    await settled()
    counts.operations = 0
    const again = await callGateway(path, { env: edgeEnv })
    expect(again.status).toBe(302)
    expect(again.headers.get('location')).toBe(first.headers.get('location'))
    expect(counts.operations).toBe(0)
    const forged = await callGateway(path.replace(/sig=[^&]+/, 'sig=AAAA'), { env: edgeEnv })
    expect(forged.status).toBe(403)
    expect(fake.calls).toHaveLength(1)
  })
})

describe('embed variants', () => {
  it('point the redirect at a variant, unsigned, and the variant has that width and format', async () => {
    const fake = fakeUpstream()
    const path = await signed({ prompt: 'a thumbnail of a harbour' })
    const original = await callGateway(path, { env })
    await settled()
    const res = await callGateway(`${path}&width=512&format=webp`, { env })
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location') ?? '')
    expect(location.pathname).toBe(new URL(original.headers.get('location') ?? '').pathname)
    expect(location.search).toBe('?width=512&format=webp')
    const variant = await callGateway(location.pathname + location.search, { env })
    expect(variant.headers.get('content-type')).toBe('image/webp')
    const info = await baseEnv.IMAGE_TRANSFORMS.info(variant.body as ReadableStream<Uint8Array>)
    // The fake's pictures are smaller than 512 pixels: never made larger.
    expect(info).toMatchObject({ format: 'image/webp' })
    expect((info as { width: number }).width).toBeLessThanOrEqual(512)
    expect(fake.calls).toHaveLength(1)
  })

  it('name a width off the ladder before anything is spent', async () => {
    const fake = fakeUpstream()
    const res = await callGateway(`${await signed({ prompt: 'odd width' })}&width=500`, { env })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('width')
    expect(fake.calls).toEqual([])
  })

  it('are refused, not ignored, without the Images binding, and nothing is spent', async () => {
    const fake = fakeUpstream()
    const noBinding = { ...env, IMAGE_TRANSFORMS: undefined }
    const path = `${await signed({ prompt: 'no variants here' })}&format=avif`
    for (const watch of ['', '&stream=1']) {
      const res = await callGateway(path + watch, { env: noBinding })
      expect(res.status).toBe(400)
      expect((await res.json()) as object).toMatchObject({
        error: { param: 'format', code: 'variants_not_configured' },
      })
    }
    expect(fake.calls).toEqual([])
  })
})
