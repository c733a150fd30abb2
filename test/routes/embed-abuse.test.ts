/**
 * Embeds under abuse: signed URLs limited per client (an IPv6 client by its /64), and failures
 * remembered briefly, so a page whose picture cannot be made does not call the upstream on every
 * visit.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { FAILURE_TTL_SECONDS, FailureMemory } from '../../src/embed/failure-memory'
import { errorReply, imageStreamFrames, sseEvent } from '../fakes/upstream'
import { embedder } from '../helpers/embeds'
import { errorOf } from '../helpers/errors'
import { fakeUpstream, GATEWAY_URL, settled } from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

const SECRET = 'embed-secret-for-abuse-tests'
const embeds = embedder(SECRET)
const { env, visit } = embeds

let prompts = 0
/** A signed embed path for a picture no other test uses. */
const signed = (fields: Record<string, string> = {}) =>
  embeds.signed({ prompt: `a fox, take ${++prompts}`, ...fields })

const moderationBlock = () =>
  errorReply(400, { code: 'moderation_blocked', message: 'Your request was rejected.' })

describe('failures of signed embeds are remembered briefly', () => {
  it('answers a moderation block again without the upstream, whichever way it is watched', async () => {
    const fake = fakeUpstream().reply(moderationBlock())
    const path = await signed()
    const first = await visit(path)
    expect(first.status).toBe(400)
    const error = await errorOf(first)
    await settled()
    for (const again of [path, `${path}&stream=1`, path]) {
      const res = await visit(again, { clientIp: '198.51.100.77' })
      expect(res.status).toBe(400)
      expect(await errorOf(res)).toEqual(error)
    }
    expect(fake.calls).toHaveLength(1)
    // Another picture is not affected.
    expect((await visit(await signed())).status).toBe(302)
    expect(fake.calls).toHaveLength(2)
  })

  it('answers an upstream failure again, with its status, for a short TTL', async () => {
    const fake = fakeUpstream().reply(errorReply(503, {}), errorReply(503, {}))
    const path = await signed()
    const first = await visit(path)
    expect(first.status).toBe(500)
    const calls = fake.calls.length
    await settled()
    const again = await visit(path)
    expect(again.status).toBe(500)
    expect(again.headers.get('x-should-retry')).toBe('true')
    expect((await errorOf(again)).code).toBe('upstream_unavailable')
    expect(fake.calls).toHaveLength(calls)
    const memory = await FailureMemory.of(new URL(`${GATEWAY_URL}${path}`))
    const entry = await (await caches.open('embed-failures')).match(memory.key)
    expect(entry?.headers.get('cache-control')).toBe(`max-age=${FAILURE_TTL_SECONDS}`)
    expect(FAILURE_TTL_SECONDS).toBe(60)
  })

  it('remembers a failure that ends a stream visitor’s answer (after partial images)', async () => {
    const frames = imageStreamFrames(1).slice(0, 1)
    const blocked = sseEvent('error', {
      error: { code: 'moderation_blocked', message: 'The image was blocked.' },
    })
    const fake = fakeUpstream().reply({ kind: 'sse', frames: [...frames, blocked] })
    const path = await signed({ partial_images: '1' })
    const streamed = await visit(`${path}&stream=1`)
    expect(streamed.status).toBe(200)
    const events = await readEvents(streamed)
    expect(events.map((e) => e.event)).toEqual(['image_generation.partial_image', 'error'])
    await settled()
    const again = await visit(path)
    expect(again.status).toBe(400)
    expect((await errorOf(again)).message).toBe('The image was blocked.')
    expect(fake.calls).toHaveLength(1)
  })

  it('remembers a failure that cuts a stream visitor’s answer inside an event', async () => {
    const [partial = ''] = imageStreamFrames(1)
    const fake = fakeUpstream().reply({
      kind: 'chunks',
      chunks: [partial.slice(0, partial.length >> 1)],
      contentType: 'text/event-stream',
      end: 'reset',
    })
    const path = await signed({ partial_images: '1' })
    const streamed = await visit(`${path}&stream=1`)
    expect(streamed.status).toBe(200)
    await expect(streamed.text()).rejects.toThrow()
    await settled()
    const again = await visit(`${path}&stream=1`)
    expect(again.status).toBe(500)
    expect((await errorOf(again)).code).toBe('upstream_unavailable')
    expect(fake.calls).toHaveLength(1)
  })

  it('does not remember a stream that ended well: the next visit is a cache hit', async () => {
    const fake = fakeUpstream().reply({ kind: 'sse', frames: imageStreamFrames(1) })
    const path = await signed({ partial_images: '1' })
    const streamed = await visit(`${path}&stream=1`)
    expect((await readEvents(streamed)).map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    await settled()
    const again = await visit(path)
    expect(again.status).toBe(302)
    expect(again.headers.get('x-cache')).toBe('HIT')
    expect(fake.calls).toHaveLength(1)
  })

  it('does not remember the gateway’s own refusals, nor successes', async () => {
    const fake = fakeUpstream()
    const path = await signed()
    const limited = { ...env, EMBED_RATE_LIMIT_PER_MINUTE: '1' }
    expect((await visit(path, { env: limited, clientIp: '198.51.100.5' })).status).toBe(302)
    expect((await visit(path, { env: limited, clientIp: '198.51.100.5' })).status).toBe(429)
    await settled()
    expect((await visit(path, { env: limited, clientIp: '198.51.100.6' })).status).toBe(302)
    expect(fake.calls).toHaveLength(1)
  })
})

describe('signed embeds are limited per client', () => {
  const limited = { ...env, EMBED_RATE_LIMIT_PER_MINUTE: '2' }

  it('counts every visit of a client, cache hits included, IPv6 per /64', async () => {
    fakeUpstream()
    const path = await signed()
    const from = (clientIp: string) => visit(path, { env: limited, clientIp })
    expect((await from('2001:db8:1:2::1')).status).toBe(302)
    await settled()
    expect((await from('2001:db8:1:2:ffff::2')).status).toBe(302)
    const third = await from('2001:db8:1:2:1:2:3:4')
    expect(third.status).toBe(429)
    expect(third.headers.get('retry-after')).toBeTruthy()
    expect((await errorOf(third)).code).toBe('rate_limit_exceeded')
    expect((await from('2001:db8:1:3::1')).status).toBe(302)
    expect((await from('198.51.100.9')).status).toBe(302)
  })

  it('refuses a signed visit without a client address rather than pooling it', async () => {
    const fake = fakeUpstream()
    const res = await visit(await signed(), { env: limited, clientIp: null })
    expect(res.status).toBe(403)
    expect((await errorOf(res)).code).toBe('client_address_required')
    expect(fake.calls).toEqual([])
  })

  it('writes nothing for a URL refused before admission (forged, unsigned)', async () => {
    fakeUpstream()
    const forged = (await signed()).replace(/sig=[^&]+/, 'sig=AAAA')
    const clientIp = '198.51.100.44'
    expect((await visit(forged, { clientIp })).status).toBe(403)
    expect((await visit('/v1/images/embed?prompt=a+fox', { clientIp })).status).toBe(401)
    const stub = bindings.LEDGERS.get(bindings.LEDGERS.idFromName(`embed:${clientIp}`))
    const stored = await runInDurableObject(stub, async (_, state) => state.storage.list())
    expect(stored.size).toBe(0)
  })
})
