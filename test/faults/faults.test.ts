/**
 * Fault injection: the failures a real upstream has, and what the client sees for each. Nothing
 * broken is cached, retries stay at one and only before the first byte, and a managed key's
 * reservation is refunded whenever the generation fails.
 */
import { describe, expect, it } from 'vitest'
import {
  errorReply,
  type FakeReply,
  imageStreamFrames,
  sseEvent,
  TINY_PNG_B64,
} from '../fakes/upstream'
import { callGateway, ENVS, fakeUpstream, settled } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'
import { readEvents } from '../helpers/sse'

const ADMIN = 'admin-token-for-tests'
const env = { ...ENVS.remote, ADMIN_TOKEN: ADMIN }
/**
 * Short deadlines only for the upstreams that go silent (an answer that does come must never race
 * one on a busy machine): between events, and before the headers.
 */
const idling = { ...env, UPSTREAM_IDLE_TIMEOUT_MS: '200' }
const headless = { ...env, UPSTREAM_TIMEOUT_MS: '300' }
const goesSilent = (reply: FakeReply) => reply.kind === 'chunks' && reply.end === 'stall'
const [partialFrame] = imageStreamFrames(1)
let prompts = 0

async function keyWithBalance() {
  const res = await callGateway('/v1/admin/keys', {
    env,
    body: { name: 'payer', kind: 'secret', balance_usd: 1 },
    headers: { authorization: `Bearer ${ADMIN}` },
  })
  return ((await res.json()) as { key: string }).key
}

async function balanceOf(key: string) {
  const res = await callGateway('/v1/usage', { env, headers: { authorization: `Bearer ${key}` } })
  return (await res.json()) as { balance_usd: number; spent_usd: number }
}

/** [label, reply for a stream request, what the client sees last] */
const streamFaults: [string, FakeReply, string][] = [
  [
    'a stream that stalls mid-way',
    {
      kind: 'chunks',
      chunks: [partialFrame as string],
      contentType: 'text/event-stream',
      end: 'stall',
    },
    'upstream_unavailable',
  ],
  [
    'a connection reset mid-event',
    {
      kind: 'chunks',
      chunks: [partialFrame as string, 'event: image_generation.completed\ndata: {"b64'],
      contentType: 'text/event-stream',
      end: 'reset',
    },
    'upstream_unavailable',
  ],
  [
    'malformed SSE (a completed event that is not JSON)',
    {
      kind: 'sse',
      frames: [partialFrame as string, 'event: image_generation.completed\ndata: {not json\n\n'],
    },
    'upstream_unavailable',
  ],
  [
    'a completed event without an image',
    { kind: 'sse', frames: [sseEvent('image_generation.completed', { b64_json: 42 })] },
    'upstream_unavailable',
  ],
  [
    'a moderation block mid-stream',
    {
      kind: 'sse',
      frames: [
        sseEvent('error', {
          error: { code: 'moderation_blocked', message: 'Blocked by the safety system.' },
        }),
      ],
    },
    'moderation_blocked',
  ],
]

describe('stream faults', () => {
  it.each(streamFaults)(
    '%s: an error event, nothing cached, one upstream call, reservation refunded',
    async (_label, reply, code) => {
      const fake = fakeUpstream().reply(reply)
      const key = await keyWithBalance()
      const res = await callGateway('/v1/images/generations', {
        env: goesSilent(reply) ? idling : env,
        body: { prompt: `a fox ${++prompts}`, stream: true, partial_images: 1 },
        headers: { authorization: `Bearer ${key}` },
      })
      expect(res.status).toBe(200)
      const events = await readEvents(res)
      const last = events.at(-1)
      expect(last?.event).toBe('error')
      expect(JSON.parse(last?.data ?? '{}').error.code).toBe(code)
      await settled()
      expect(await storedKeys()).toEqual([])
      expect(fake.calls).toHaveLength(1)
      expect(await balanceOf(key)).toMatchObject({ balance_usd: 1, spent_usd: 0 })
    },
  )
})

describe('non-stream faults', () => {
  it('a body that stalls after the first image breaks the answer and caches nothing', async () => {
    const image = `{"b64_json":"${TINY_PNG_B64}"}`
    const fake = fakeUpstream().reply({
      kind: 'chunks',
      chunks: [`{"created":1,"data":[${image},{"b64_json":"iVBOR`],
      contentType: 'application/json',
      end: 'stall',
    })
    const res = await callGateway('/v1/images/generations', {
      env: idling,
      body: { prompt: 'two foxes', n: 2 },
      headers: { authorization: 'Bearer gw-client-key-1' },
    })
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
    await settled()
    expect(await storedKeys()).toEqual([])
    expect(fake.calls).toHaveLength(1)
  })

  it('headers that never come: 500 after one retry, refunded', async () => {
    const fake = fakeUpstream().reply({ kind: 'stall' }, { kind: 'stall' })
    const key = await keyWithBalance()
    const res = await callGateway('/v1/images/generations', {
      env: headless,
      body: { prompt: 'a slow fox' },
      headers: { authorization: `Bearer ${key}` },
    })
    expect(res.status).toBe(500)
    expect(res.headers.get('x-should-retry')).toBe('true')
    expect(fake.calls).toHaveLength(2)
    await settled()
    expect(await balanceOf(key)).toMatchObject({ balance_usd: 1, spent_usd: 0 })
  })

  it.each([429, 500, 502, 503])('upstream %i: refunded, nothing cached', async (status) => {
    fakeUpstream().reply(errorReply(status, {}, { 'retry-after': '3' }), errorReply(status, {}))
    const key = await keyWithBalance()
    const res = await callGateway('/v1/images/generations', {
      env,
      body: { prompt: `a fox ${status}` },
      headers: { authorization: `Bearer ${key}` },
    })
    expect(res.status).toBe(status === 429 ? 429 : 500)
    await settled()
    expect(await storedKeys()).toEqual([])
    expect(await balanceOf(key)).toMatchObject({ balance_usd: 1, spent_usd: 0 })
  })
})

describe('deadlines', () => {
  it('fails an upstream that trickles comments but never completes an event', async () => {
    const fake = fakeUpstream().reply({
      kind: 'chunks',
      chunks: [partialFrame as string],
      contentType: 'text/event-stream',
      end: { repeat: ': still working\n\n' },
      intervalMs: 40,
    })
    const key = await keyWithBalance()
    const res = await callGateway('/v1/images/generations', {
      env: { ...env, UPSTREAM_IDLE_TIMEOUT_MS: '300' },
      body: { prompt: `a trickle ${++prompts}`, stream: true, partial_images: 1 },
      headers: { authorization: `Bearer ${key}` },
    })
    const events = await readEvents(res)
    expect(events.map((e) => e.event)).toEqual(['image_generation.partial_image', 'error'])
    expect(JSON.parse(events[1]?.data ?? '{}').error.code).toBe('upstream_unavailable')
    await settled()
    expect(fake.cancelledBodies).toBe(1)
    expect(await storedKeys()).toEqual([])
    expect(await balanceOf(key)).toMatchObject({ balance_usd: 1, spent_usd: 0 })
  })

  it('ends a generation that outlives its total deadline, for every waiter, and refunds', async () => {
    const fake = fakeUpstream().reply({
      kind: 'chunks',
      chunks: [],
      contentType: 'text/event-stream',
      end: { repeat: partialFrame as string }, // complete events forever: never idle
      intervalMs: 50,
    })
    const key = await keyWithBalance()
    const slow = { ...env, UPSTREAM_IDLE_TIMEOUT_MS: '300', UPSTREAM_TOTAL_TIMEOUT_MS: '700' }
    const body = { prompt: `forever ${++prompts}`, stream: true, partial_images: 1 }
    const streamed = await callGateway('/v1/images/generations', {
      env: slow,
      body,
      headers: { authorization: `Bearer ${key}` },
    })
    // A base64 JSON waiter on the same generation has no answer yet: it gets the HTTP error.
    const waiting = callGateway('/v1/images/generations', {
      env: slow,
      body: { prompt: body.prompt },
      headers: { authorization: `Bearer ${key}` },
    })
    const events = await readEvents(streamed)
    expect(events.length).toBeGreaterThan(3)
    expect(events.at(-1)?.event).toBe('error')
    expect(JSON.parse(events.at(-1)?.data ?? '{}').error.code).toBe('upstream_unavailable')
    const json = await waiting
    expect(json.status).toBe(500)
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe(
      'upstream_unavailable',
    )
    await settled()
    expect(fake.calls).toHaveLength(1)
    expect(fake.cancelledBodies).toBe(1)
    expect(await storedKeys()).toEqual([])
    expect(await balanceOf(key)).toMatchObject({ balance_usd: 1, spent_usd: 0 })
  })

  it('does not retry once the total deadline has passed', async () => {
    const fake = fakeUpstream().reply({ kind: 'stall' }, { kind: 'stall' })
    const res = await callGateway('/v1/images/generations', {
      env: { ...env, UPSTREAM_TIMEOUT_MS: '5000', UPSTREAM_TOTAL_TIMEOUT_MS: '300' },
      body: { prompt: `no headers ${++prompts}` },
      headers: { authorization: 'Bearer gw-client-key-1' },
    })
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'upstream_unavailable',
    )
    expect(fake.calls).toHaveLength(1)
  })
})
