/**
 * stream: true end to end: events pass through as they arrive with their payload bytes unchanged,
 * keep-alives go out while waiting, failures after the first byte are error frames the openai SDK
 * raises, and a JSON-answering upstream still gives SSE.
 */
import fc from 'fast-check'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../../src/env'
import { imageStreamFrames, sseEvent, TINY_PNG_B64 } from '../fakes/upstream'
import {
  CLIENT_KEY,
  ENVS,
  fakeUpstream,
  GATEWAY_URL,
  gatewayFetch,
  generate,
  settled,
} from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'
import { readEvents } from '../helpers/sse'

const streamRequest = { prompt: 'a harbour at night', stream: true, partial_images: 2 }

function dataOf(frames: string[]): string[] {
  return frames.map((frame) => /\ndata: (.*)\n\n$/s.exec(frame)?.[1] ?? '')
}

function sdk(env: Partial<Bindings> = ENVS.remote) {
  return new OpenAI({
    apiKey: CLIENT_KEY,
    baseURL: `${GATEWAY_URL}/v1`,
    maxRetries: 0,
    fetch: (url, init) => gatewayFetch(new Request(url, init), env),
  })
}

describe('streaming', () => {
  it('forwards each event with its payload bytes unchanged, in order, with SSE headers', async () => {
    const frames = imageStreamFrames(2)
    fakeUpstream().reply({ kind: 'sse', frames })
    const res = await generate(streamRequest)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(res.headers.get('x-cache')).toBe('MISS')
    const events = await readEvents(res)
    expect(events.map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(events.map((e) => e.data)).toEqual(dataOf(frames))
  })

  it('sends a keep-alive comment first, and again while the upstream is quiet', async () => {
    fakeUpstream().reply({ kind: 'sse', frames: imageStreamFrames(1), intervalMs: 250 })
    const res = await generate(streamRequest, { env: { ...ENVS.remote, SSE_KEEPALIVE_MS: '60' } })
    const text = await res.text()
    expect(text.startsWith(': keep-alive\n\n')).toBe(true)
    const beforeFirstEvent = text.slice(0, text.indexOf('event:'))
    expect(beforeFirstEvent.split(': keep-alive\n\n').length - 1).toBeGreaterThanOrEqual(2)
  })

  it('delivers each event as it arrives, not when the stream ends', async () => {
    fakeUpstream().reply({ kind: 'sse', frames: imageStreamFrames(2), intervalMs: 300 })
    const events = await readEvents(await generate(streamRequest))
    expect(events).toHaveLength(3)
    expect((events[2]?.at ?? 0) - (events[0]?.at ?? 0)).toBeGreaterThan(400)
  })

  it('passes events through whatever chunk boundaries the upstream uses', async () => {
    const bytes = new TextEncoder().encode(imageStreamFrames(2).join(''))
    const expected = dataOf(imageStreamFrames(2))
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), bytes.length]
          const chunks = points.slice(1).map((end, i) => bytes.slice(points[i], end))
          fakeUpstream().reply({ kind: 'chunks', chunks, contentType: 'text/event-stream' })
          const res = await generate(streamRequest, { headers: { 'cache-control': 'no-cache' } })
          const events = await readEvents(res)
          expect(events.map((e) => e.data)).toEqual(expected)
          await settled()
        },
      ),
      { numRuns: 25 },
    )
  })

  it('lets the openai SDK iterate a miss and then a hit of the same request', async () => {
    const fake = fakeUpstream().reply({ kind: 'sse', frames: imageStreamFrames(1) })
    const types = async () => {
      const stream = await sdk().images.generate({
        prompt: 'a harbour at night',
        stream: true,
        partial_images: 1,
      })
      const seen: { type: string; b64_json?: string }[] = []
      for await (const event of stream) seen.push(event)
      return seen
    }
    const miss = await types()
    await settled()
    const hit = await types()
    expect(miss.map((e) => e.type)).toEqual([
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(hit.map((e) => e.type)).toEqual(['image_generation.completed'])
    expect(hit[0]?.b64_json).toBe(TINY_PNG_B64)
    expect(fake.calls).toHaveLength(1)
  })

  it('raises in the SDK and caches nothing when the upstream breaks mid-stream', async () => {
    const [partial] = imageStreamFrames(1)
    fakeUpstream().reply({
      kind: 'chunks',
      chunks: [partial as string, 'event: image_generation.comp'],
      contentType: 'text/event-stream',
      end: 'reset',
    })
    const stream = await sdk().images.generate({
      prompt: 'a harbour',
      stream: true,
      partial_images: 1,
    })
    const seen: string[] = []
    const error = await (async () => {
      for await (const event of stream) seen.push(event.type)
    })().then(
      () => null,
      (e: unknown) => e,
    )
    expect(seen).toEqual(['image_generation.partial_image'])
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_unavailable')
    await settled()
    expect(await storedKeys()).toEqual([])
  })

  it('turns an upstream error event into an error frame with the OpenAI envelope', async () => {
    const error = {
      message: 'Your request was rejected by the safety system.',
      type: 'image_generation_user_error',
      code: 'moderation_blocked',
      param: null,
    }
    fakeUpstream().reply({
      kind: 'sse',
      frames: [imageStreamFrames(1)[0] as string, sseEvent('error', { error })],
    })
    const events = await readEvents(await generate(streamRequest))
    expect(events.map((e) => e.event)).toEqual(['image_generation.partial_image', 'error'])
    expect(JSON.parse(events[1]?.data ?? '')).toEqual({
      error: {
        message: error.message,
        type: 'invalid_request_error',
        param: null,
        code: 'content_policy_violation',
      },
    })
    await settled()
    expect(await storedKeys()).toEqual([])
  })

  it('caches nothing when the stream ends cleanly without a completed image', async () => {
    fakeUpstream().reply({ kind: 'sse', frames: [imageStreamFrames(1)[0] as string] })
    const events = await readEvents(await generate(streamRequest))
    expect(events.at(-1)?.event).toBe('error')
    await settled()
    expect(await storedKeys()).toEqual([])
  })

  it('answers SSE even when the upstream ignores stream and returns JSON', async () => {
    fakeUpstream()
    const res = await generate({ prompt: 'a harbour', stream: true, n: 2 })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const events = await readEvents(res)
    expect(events.map((e) => e.event)).toEqual([
      'image_generation.completed',
      'image_generation.completed',
    ])
    for (const event of events) {
      expect(JSON.parse(event.data)).toMatchObject({
        type: 'image_generation.completed',
        b64_json: TINY_PNG_B64,
      })
    }
  })

  it('finishes and stores a paid-for generation when the client leaves mid-stream', async () => {
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(2),
      intervalMs: 100,
    })
    const res = await generate(streamRequest)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await reader.cancel()
    await settled()
    expect((await storedKeys('manifests/')).length).toBe(1)
    const again = await generate(streamRequest)
    expect(again.headers.get('x-cache')).toBe('HIT')
    await again.arrayBuffer()
    expect(fake.calls).toHaveLength(1)
  })
})
