/** Embedding: signed URLs that answer with the image, one generation however many visitors. */
import { describe, expect, it } from 'vitest'
import { verifyParams } from '../../src/embed/signing'
import { FAKE_UPSTREAM_URL, gate, OPERATOR_KEY } from '../fakes/upstream'
import { embedder } from '../helpers/embeds'
import { errorOf } from '../helpers/errors'
import {
  CLIENT_KEY,
  callGateway,
  ENVS,
  fakeUpstream,
  GATEWAY_URL,
  joined,
  settled,
} from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

const SECRET = 'embed-secret-for-tests'
const { env, signed, visit } = embedder(SECRET)

describe('signed embed URLs', () => {
  it('generates on the first visit, redirecting to the immutable image, and serves later visits from R2', async () => {
    const fake = fakeUpstream()
    const path = await signed({ prompt: 'a red fox', size: '1024x1024' })
    const first = await visit(path)
    expect(first.status).toBe(302)
    expect(first.headers.get('x-cache')).toBe('MISS')
    const location = first.headers.get('location') ?? ''
    expect(location).toMatch(new RegExp(`^${GATEWAY_URL}/v1/images/[0-9a-f]{32}\\.png$`))
    await settled()
    const image = await visit(new URL(location).pathname)
    expect(image.headers.get('content-type')).toBe('image/png')
    const again = await visit(path)
    expect(again.status).toBe(302)
    expect(again.headers.get('x-cache')).toBe('HIT')
    expect(again.headers.get('location')).toBe(location)
    expect(fake.calls).toHaveLength(1)
    expect(fake.calls[0]?.body).toEqual({
      model: 'gpt-image-1',
      prompt: 'a red fox',
      size: '1024x1024',
    })
  })

  it('pays once when many visitors arrive together', async () => {
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'held',
      until: release.opened,
      reply: { kind: 'success' },
    })
    const path = await signed({ prompt: 'a busy page' })
    const visiting = Promise.all(Array.from({ length: 12 }, () => visit(path)))
    await joined(12) // every visitor waits on the one generation, whose upstream call is held
    release.open()
    const visits = await visiting
    expect(new Set(visits.map((res) => res.headers.get('location'))).size).toBe(1)
    expect(fake.calls).toHaveLength(1)
  })

  it.each([
    ['a changed prompt', (p: string) => p.replace('prompt=a+red+fox', 'prompt=a+red+wolf')],
    ['an added parameter', (p: string) => `${p}&quality=high`],
    ['a changed size', (p: string) => p.replace('size=1024x1024', 'size=1536x1024')],
    ['a forged signature', (p: string) => p.replace(/sig=[^&]+/, 'sig=AAAA')],
  ])('refuses %s with 403 and spends nothing', async (_label, tamper) => {
    const fake = fakeUpstream()
    const res = await visit(tamper(await signed({ prompt: 'a red fox', size: '1024x1024' })))
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('invalid_signature')
    expect(fake.calls).toEqual([])
  })

  it('refuses an unsigned URL with 401', async () => {
    const fake = fakeUpstream()
    const res = await visit('/v1/images/embed?prompt=a+red+fox')
    expect(res.status).toBe(401)
    expect((await errorOf(res)).code).toBe('missing_signature')
    expect(fake.calls).toEqual([])
  })

  it('refuses an expired URL with 403', async () => {
    fakeUpstream()
    const res = await visit(
      await signed({ prompt: 'a red fox', exp: String(Math.floor(Date.now() / 1000) - 5) }),
    )
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('signature_expired')
  })

  it('validates the parameters like the API, naming the bad one', async () => {
    const fake = fakeUpstream()
    const res = await visit(await signed({ prompt: 'a red fox', size: '2048x2048' }))
    expect(res.status).toBe(400)
    expect((await errorOf(res)).param).toBe('size')
    const unknown = await visit(await signed({ prompt: 'a red fox', n: '4' }))
    expect((await errorOf(unknown)).param).toBe('n')
    expect(fake.calls).toEqual([])
  })

  it('streams the signed partial images and then the image URL with stream=1, on the same signature', async () => {
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: (await import('../fakes/upstream')).imageStreamFrames(2),
    })
    const path = await signed({ prompt: 'a red fox', partial_images: '2' })
    const res = await visit(`${path}&stream=1`)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const events = await readEvents(res)
    expect(events.map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(JSON.parse(events[2]?.data ?? '{}').url).toMatch(/\/v1\/images\/[0-9a-f]{32}\.png$/)
    expect(fake.calls[0]?.body).toEqual({
      model: 'gpt-image-1',
      prompt: 'a red fox',
      stream: true,
      partial_images: 2,
    })
  })

  it.each([
    ['without partial images', {}, {}],
    ['with partial images', { partial_images: '1' }, { stream: true, partial_images: 1 }],
  ])(
    'calls the upstream the same way whether a visitor watches or not, %s',
    async (_label, fields, sent) => {
      const fake = fakeUpstream()
      const watched = ['', '&stream=1', '&stream=true']
      for (const [take, watch] of watched.entries()) {
        const prompt = `a red fox, take ${take} ${JSON.stringify(fields)}`
        const res = await visit(`${await signed({ prompt, ...fields })}${watch}`)
        expect(res.status).toBe(watch ? 200 : 302)
        if (watch) {
          const events = await readEvents(res)
          expect(events.at(-1)?.event).toBe('image_generation.completed')
          expect(JSON.parse(events.at(-1)?.data ?? '{}').url).toMatch(/\.png$/)
        }
        expect(fake.calls[take]?.body).toEqual({ model: 'gpt-image-1', prompt, ...sent })
      }
    },
  )

  it('refuses partial images that are not a whole number from 0 to 3', async () => {
    const fake = fakeUpstream()
    for (const partial_images of ['4', '-1', 'two']) {
      const res = await visit(await signed({ prompt: 'a red fox', partial_images }))
      expect(res.status).toBe(400)
      expect((await errorOf(res)).param).toBe('partial_images')
    }
    expect(fake.calls).toEqual([])
  })

  it('lets the demo embed unsigned URLs when no secret is set (nothing is spent)', async () => {
    fakeUpstream()
    const res = await visit('/v1/images/embed?prompt=a+red+fox&size=1024x1024', { env: ENVS.demo })
    expect(res.status).toBe(302)
    const image = await visit(new URL(res.headers.get('location') ?? '').pathname, {
      env: ENVS.demo,
    })
    expect(image.headers.get('content-type')).toBe('image/png')
  })

  it('refuses unsigned URLs for a real upstream even without a secret', async () => {
    fakeUpstream()
    const res = await visit('/v1/images/embed?prompt=a+red+fox', {
      env: {
        UPSTREAM_BASE_URL: FAKE_UPSTREAM_URL,
        UPSTREAM_API_KEY: OPERATOR_KEY,
        PUBLIC_ACCESS: 'true',
      },
    })
    expect(res.status).toBe(401)
  })
})

describe('POST /v1/images/embed/sign', () => {
  it('signs for a client key, and the URL works', async () => {
    const fake = fakeUpstream()
    const res = await callGateway('/v1/images/embed/sign', {
      env,
      body: { prompt: 'a red fox', size: '1536x1024', expires_in: 3600 },
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(res.status).toBe(200)
    const { url, expires_at } = (await res.json()) as { url: string; expires_at: number }
    expect(expires_at).toBeGreaterThan(Date.now() / 1000)
    const params = new URL(url).searchParams
    expect(await verifyParams(SECRET, params, params.get('sig') ?? '')).toBe(true)
    expect((await visit(url.slice(GATEWAY_URL.length))).status).toBe(302)
    expect(fake.calls).toHaveLength(1)
  })

  it('signs partial images with the rest, so the URL cannot be changed to ask for more', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/images/embed/sign', {
      env,
      body: { prompt: 'a red fox', partial_images: 2 },
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(res.status).toBe(200)
    const { url } = (await res.json()) as { url: string }
    expect(new URL(url).searchParams.get('partial_images')).toBe('2')
    const more = await visit(
      url.slice(GATEWAY_URL.length).replace('partial_images=2', 'partial_images=3'),
    )
    expect((await errorOf(more)).code).toBe('invalid_signature')
  })

  it('needs a client key on the demo generator too, since signed URLs outlive the demo', async () => {
    const fake = fakeUpstream()
    const demo = { EMBED_SIGNING_SECRET: SECRET }
    const anonymous = await callGateway('/v1/images/embed/sign', {
      env: demo,
      body: { prompt: 'a red fox, signed on the demo' },
    })
    expect(anonymous.status).toBe(403)
    expect((await errorOf(anonymous)).code).toBe('key_required')
    const withKey = await callGateway('/v1/images/embed/sign', {
      env: { ...demo, GATEWAY_KEYS: CLIENT_KEY },
      body: { prompt: 'a red fox, signed on the demo' },
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(withKey.status).toBe(200)
    expect(fake.calls).toEqual([])
  })

  it('needs a client key, and refuses invalid parameters', async () => {
    fakeUpstream()
    const anonymous = await callGateway('/v1/images/embed/sign', {
      env,
      body: { prompt: 'a red fox' },
    })
    expect(anonymous.status).toBe(401)
    const bad = await callGateway('/v1/images/embed/sign', {
      env,
      body: { prompt: 'a red fox', size: '99x99' },
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(bad.status).toBe(400)
    expect((await errorOf(bad)).param).toBe('size')
  })
})
