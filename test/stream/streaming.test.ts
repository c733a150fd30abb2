/**
 * stream: true end to end: events pass through as they arrive with their payload bytes unchanged,
 * keep-alives go out while waiting, failures after the first byte are error frames the openai SDK
 * raises, and a JSON-answering upstream still gives SSE.
 */
import fc from 'fast-check'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { encodeBase64 } from '../../src/stream/base64'
import { gate, imageStreamFrames, sseEvent, TINY_PNG_B64 } from '../fakes/upstream'
import { splitAt } from '../helpers/chunks'
import { ENVS, fakeUpstream, generate, settled } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'
import { sdk } from '../helpers/sdk'
import { readEvents, watchEvents } from '../helpers/sse'

const streamRequest = { prompt: 'a harbour at night', stream: true, partial_images: 2 }

function dataOf(frames: string[]): string[] {
  return frames.map((frame) => /\ndata: (.*)\n\n$/s.exec(frame)?.[1] ?? '')
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
    const release = gate()
    fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(1),
      hold: { after: 0, until: release.opened },
    })
    const res = await generate(streamRequest, { env: { ...ENVS.remote, SSE_KEEPALIVE_MS: '60' } })
    // The upstream says nothing until two keep-alives have reached the client.
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    while (text.split(': keep-alive\n\n').length - 1 < 2) {
      const { done, value } = await reader.read()
      expect(done, 'the stream ended before two keep-alives').toBe(false)
      text += decoder.decode(value, { stream: true })
    }
    release.open()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    expect(text.startsWith(': keep-alive\n\n')).toBe(true)
    expect(
      text.slice(0, text.indexOf('event:')).split(': keep-alive\n\n').length - 1,
    ).toBeGreaterThanOrEqual(2)
    expect(text).toContain('event: image_generation.completed')
  })

  it('delivers each event as it arrives, not when the stream ends', async () => {
    const release = gate()
    fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(2),
      hold: { after: 1, until: release.opened },
    })
    const stream = watchEvents(await generate(streamRequest))
    await stream.seen(1) // the first partial image arrives while the upstream holds back the rest
    release.open()
    expect((await stream.all).map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
  })

  it('passes every upstream event through byte for byte, at any chunking (property)', async () => {
    const partial = fc
      .tuple(fc.nat({ max: 3 }), fc.integer({ min: 1, max: 20_000 }))
      .map(([index, size]) =>
        sseEvent('image_generation.partial_image', {
          b64_json: 'QUJD'.repeat(size),
          partial_image_index: index,
        }),
      )
    const block = fc.oneof(
      { weight: 3, arbitrary: partial },
      { weight: 1, arbitrary: fc.constant(': upstream keep-alive\n\n') },
      { weight: 1, arbitrary: fc.constant('event: other.event\ndata: {"a":1}\ndata: {"b":2}\n\n') },
      { weight: 1, arbitrary: fc.constant(': note\nid: 4\nevent: x.y\nretry: 9\ndata: {}\n\n') },
    )
    const completed = fc
      .tuple(fc.boolean(), fc.uint8Array({ minLength: 0, maxLength: 40_000 }))
      .map(([imageFirst, tail]) => {
        const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...tail])
        const b64_json = encodeBase64(png)
        const rest = { created_at: 1, usage: { total_tokens: 2 } }
        const payload = imageFirst ? { b64_json, ...rest } : { ...rest, b64_json }
        return sseEvent('image_generation.completed', payload)
      })
    const streams = fc.tuple(fc.array(block, { maxLength: 5 }), completed, fc.boolean())
    await fc.assert(
      fc.asyncProperty(streams, fc.array(fc.nat(), { maxLength: 40 }), async (drawn, cuts) => {
        const [blocks, last, crlf] = drawn
        const lineEnds = (text: string) => (crlf ? text.replaceAll('\n', '\r\n') : text)
        const all = [...blocks, last].map(lineEnds)
        const bytes = new TextEncoder().encode(all.join(''))
        const chunks = splitAt(bytes, cuts)
        fakeUpstream().reply({ kind: 'chunks', chunks, contentType: 'text/event-stream' })
        const res = await generate(streamRequest, { headers: { 'cache-control': 'no-cache' } })
        const received = (await res.text()).replaceAll(': keep-alive\n\n', '')
        const events = all.filter((text) => !text.startsWith(':') || text.includes('data:'))
        expect(received).toBe(events.join(''))
        await settled()
      }),
      { numRuns: 30 },
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

  it('cuts the stream, never sends a truncated event, when the upstream breaks inside one', async () => {
    const [partial, completed] = imageStreamFrames(1) as [string, string]
    fakeUpstream().reply({
      kind: 'chunks',
      chunks: [partial, completed.slice(0, completed.length / 2)],
      contentType: 'text/event-stream',
      end: 'reset',
    })
    const res = await generate(streamRequest)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    const broke = await (async () => {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return false
        text += new TextDecoder().decode(value)
      }
    })().catch(() => true)
    expect(broke).toBe(true)
    // Whatever of the cut event arrived lacks its blank line, so no SSE client dispatches it.
    expect(text.startsWith(`: keep-alive\n\n${partial}`)).toBe(true)
    expect(completed.startsWith(text.slice(`: keep-alive\n\n${partial}`.length))).toBe(true)
    await settled()
    expect(await storedKeys()).toEqual([])
  })

  it('leaves no spilled partial images behind once the generation and its readers are done', async () => {
    // Over 5 MiB: spilled to R2 as it streams (smaller ones are kept in memory).
    const big = sseEvent('image_generation.partial_image', { b64_json: 'QUJD'.repeat(1_500_000) })
    fakeUpstream().reply({ kind: 'sse', frames: [big, big, imageStreamFrames(0)[0] as string] })
    await (await generate(streamRequest)).text()
    await settled()
    expect(await storedKeys('spill/')).toEqual([])
    expect(await storedKeys('manifests/')).toHaveLength(1)
  })

  it('says the image service stopped mid-answer when its stream breaks between events', async () => {
    const [partial] = imageStreamFrames(1)
    fakeUpstream().reply({
      kind: 'chunks',
      chunks: [partial as string],
      contentType: 'text/event-stream',
      end: 'reset',
    })
    const events = await readEvents(await generate(streamRequest))
    const last = JSON.parse(events.at(-1)?.data ?? '{}') as { error: { message: string } }
    expect(events.at(-1)?.event).toBe('error')
    expect(last.error.message).toBe('The image service stopped mid-answer. Retry in a moment.')
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
        type: 'image_generation_user_error',
        param: null,
        code: 'moderation_blocked',
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
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(2),
      hold: { after: 1, until: release.opened },
    })
    const res = await generate(streamRequest)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await reader.cancel() // while the upstream holds back the rest
    release.open()
    await settled()
    expect((await storedKeys('manifests/')).length).toBe(1)
    const again = await generate(streamRequest)
    expect(again.headers.get('x-cache')).toBe('HIT')
    await again.arrayBuffer()
    expect(fake.calls).toHaveLength(1)
  })
})
