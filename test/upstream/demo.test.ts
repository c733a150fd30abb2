/**
 * The built-in demo upstream: real, decodable pictures at the requested size and format,
 * deterministic per prompt, smooth rather than noise, streamed progressively when asked.
 */
import { Buffer } from 'node:buffer'
import { createParser } from 'eventsource-parser'
import { decode as decodePng } from 'fast-png'
import { decode as decodeJpeg } from 'jpeg-js'
import { describe, expect, it, vi } from 'vitest'
import { type AnswerSpec, streamAnswer } from '../../src/demo/answers'
import { IMAGES_RESPONSE_KEYS } from '../fakes/upstream'
import { callGateway, ENVS, fakeUpstream } from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

interface ImagesResponse {
  created: number
  data: { b64_json: string }[]
  size: string
  quality: string
  background: string
  output_format: string
  usage: { input_tokens: number; output_tokens: number; total_tokens: number }
}

async function demo(body: Record<string, unknown>) {
  fakeUpstream()
  return callGateway('/v1/images/generations', { env: ENVS.demo, body })
}

async function demoJson(body: Record<string, unknown>): Promise<ImagesResponse> {
  const res = await demo(body)
  expect(res.status).toBe(200)
  expect(res.headers.get('x-upstream')).toBe('demo')
  return (await res.json()) as ImagesResponse
}

const bytesOf = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'))

/** Mean absolute difference between horizontally adjacent pixels, over the first channel. */
function roughness(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
): number {
  let total = 0
  for (let y = 0; y < height; y++) {
    for (let x = 1; x < width; x++) {
      const i = (y * width + x) * channels
      total += Math.abs((data[i] as number) - (data[i - channels] as number))
    }
  }
  return total / (height * (width - 1))
}

describe('demo generator', () => {
  it('answers in OpenAI shape with a real 1024×1024 PNG for size auto', async () => {
    const body = await demoJson({ prompt: 'a quiet valley at dusk' })
    expect(Object.keys(body).sort()).toEqual(IMAGES_RESPONSE_KEYS)
    expect(body).toMatchObject({
      size: '1024x1024',
      quality: 'medium',
      background: 'opaque',
      output_format: 'png',
    })
    expect(body.usage.total_tokens).toBe(body.usage.input_tokens + body.usage.output_tokens)
    const png = decodePng(bytesOf(body.data[0]?.b64_json ?? ''))
    expect([png.width, png.height, png.channels]).toEqual([1024, 1024, 3])
  })

  it('paints a picture, not noise or a blank', async () => {
    const body = await demoJson({ prompt: 'mountains' })
    const png = decodePng(bytesOf(body.data[0]?.b64_json ?? ''))
    expect(roughness(png.data, png.width, png.height, png.channels)).toBeLessThan(3)
    const colours = new Set<number>()
    for (let i = 0; i < png.data.length; i += 3 * 97) {
      colours.add(
        ((png.data[i] as number) << 16) |
          ((png.data[i + 1] as number) << 8) |
          (png.data[i + 2] as number),
      )
    }
    expect(colours.size).toBeGreaterThan(50)
  })

  it('honours a custom gpt-image-2 size', async () => {
    const body = await demoJson({
      prompt: 'a wide panorama',
      model: 'gpt-image-2',
      size: '2496x832',
    })
    expect(body.size).toBe('2496x832')
    const png = decodePng(bytesOf(body.data[0]?.b64_json ?? ''))
    expect([png.width, png.height]).toEqual([2496, 832])
  })

  it('is deterministic per prompt, and differs between prompts and between images of one request', async () => {
    const a = await demoJson({ prompt: 'a red fox', n: 2 })
    const again = await demoJson({ prompt: 'a red fox' })
    const other = await demoJson({ prompt: 'a blue whale' })
    expect(a.data).toHaveLength(2)
    expect(again.data[0]?.b64_json).toBe(a.data[0]?.b64_json)
    expect(a.data[1]?.b64_json).not.toBe(a.data[0]?.b64_json)
    expect(other.data[0]?.b64_json).not.toBe(a.data[0]?.b64_json)
  })

  it('encodes JPEG when asked, with the requested quality', async () => {
    const high = await demoJson({
      prompt: 'a lake',
      output_format: 'jpeg',
      output_compression: 90,
      size: '1536x1024',
    })
    const low = await demoJson({
      prompt: 'a lake',
      output_format: 'jpeg',
      output_compression: 10,
      size: '1536x1024',
    })
    expect(high.output_format).toBe('jpeg')
    const bytes = bytesOf(high.data[0]?.b64_json ?? '')
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8])
    const jpeg = decodeJpeg(bytes, { useTArray: true })
    expect([jpeg.width, jpeg.height]).toEqual([1536, 1024])
    expect(bytesOf(low.data[0]?.b64_json ?? '').length).toBeLessThan(bytes.length)
  })

  it('makes a transparent background when asked', async () => {
    const body = await demoJson({ prompt: 'a lone peak', background: 'transparent' })
    expect(body.background).toBe('transparent')
    const png = decodePng(bytesOf(body.data[0]?.b64_json ?? ''))
    expect(png.channels).toBe(4)
    const alphas = new Set<number>()
    for (let i = 3; i < png.data.length; i += 4) alphas.add(png.data[i] as number)
    expect(alphas.has(0)).toBe(true)
    expect(alphas.has(255)).toBe(true)
  })

  it('refuses webp with a clear 400 rather than mislabelled bytes', async () => {
    const res = await demo({ prompt: 'a fox', output_format: 'webp' })
    expect(res.status).toBe(400)
    const { error } = (await res.json()) as { error: Record<string, string> }
    expect(error).toMatchObject({ param: 'output_format', code: 'unsupported_value' })
    expect(error.message).toContain("'png' or 'jpeg'")
  })

  it('streams partial images progressively, then the completed image', async () => {
    const res = await demo({ prompt: 'a harbour', stream: true, partial_images: 2 })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const events = await readEvents(res)
    expect(events.map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    const payloads = events.map((e) => JSON.parse(e.data) as Record<string, unknown>)
    expect(payloads.map((p) => p.type)).toEqual(events.map((e) => e.event))
    expect(payloads.slice(0, 2).map((p) => p.partial_image_index)).toEqual([0, 1])
    expect(payloads[2]).toMatchObject({
      size: '1024x1024',
      output_format: 'png',
      usage: expect.any(Object),
    })
    for (const payload of payloads) {
      const png = decodePng(bytesOf(payload.b64_json as string))
      expect([png.width, png.height]).toEqual([1024, 1024])
    }
    // The previews are coarse versions of the final picture, each closer to it than the last.
    const [first, second, final] = payloads.map(
      (p) => decodePng(bytesOf(p.b64_json as string)).data,
    )
    const distance = (a: ArrayLike<number> = [], b: ArrayLike<number> = []) => {
      let total = 0
      for (let i = 0; i < a.length; i++) total += Math.abs((a[i] as number) - (b[i] as number))
      return total / a.length
    }
    const firstOff = distance(first, final)
    const secondOff = distance(second, final)
    expect(firstOff).toBeGreaterThan(secondOff)
    expect(secondOff).toBeGreaterThan(0)
  })

  it('paces a stream like a real generation: each image comes DEMO_PARTIAL_INTERVAL_MS after the last (fake time)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const start = Date.now()
      const spec: AnswerSpec = {
        kind: 'generation',
        n: 2,
        partialImages: 2,
        size: '1024x1024',
        quality: 'low',
        background: 'opaque',
        format: 'png',
        usage: {},
      }
      const render = (index: number, block: number) => new Uint8Array([index, block])
      const arrivals: number[] = []
      const parser = createParser({ onEvent: () => arrivals.push(Date.now() - start) })
      const reading = (async () => {
        const decoder = new TextDecoder()
        for await (const chunk of streamAnswer(spec, render, 300)) {
          parser.feed(decoder.decode(chunk, { stream: true }))
        }
      })()
      await vi.runAllTimersAsync()
      await reading
      // Two images, each two partial images and its completed event, 300 ms apart (and no sooner).
      expect(arrivals).toEqual([300, 600, 900, 1200, 1500, 1800])
    } finally {
      vi.useRealTimers()
    }
  })

  it('streams without pauses (and without timers) when DEMO_PARTIAL_INTERVAL_MS is 0', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout')
    try {
      const res = await demo({ prompt: 'a harbour, at once', stream: true, partial_images: 3 })
      expect((await readEvents(res)).map((e) => e.event)).toHaveLength(4)
      expect(spy.mock.calls.filter(([, ms]) => ms === 300)).toEqual([])
    } finally {
      spy.mockRestore()
    }
  })
})
