/**
 * The largest images gpt-image-2 makes (10–15 MB PNGs at 3840x2160) pass through as streams:
 * stored in R2 in parts, answered byte for byte on the miss and on every kind of hit.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { encodeBase64 } from '../../src/stream/base64'
import { sseEvent } from '../fakes/upstream'
import { fakeUpstream, generate, settled } from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

/** Random bytes that start like a PNG, as base64. */
function bigImage(bytes: number): string {
  const data = new Uint8Array(bytes)
  for (let at = 0; at < bytes; at += 65_536) {
    crypto.getRandomValues(data.subarray(at, Math.min(bytes, at + 65_536)))
  }
  data.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return encodeBase64(data)
}

const TWELVE_MB = 12_000_000

describe('a 12 MB image', () => {
  it('is stored in R2 parts and answered byte for byte, on the miss and the hits', async () => {
    const b64 = bigImage(TWELVE_MB)
    const fake = fakeUpstream().reply({
      kind: 'json',
      status: 200,
      body: { created: 1, data: [{ b64_json: b64 }], size: '3840x2160', output_format: 'png' },
    })
    const request = { model: 'gpt-image-2', prompt: 'a city at night', size: '3840x2160' }
    const miss = (await (await generate(request)).json()) as { data: { b64_json: string }[] }
    expect(miss.data[0]?.b64_json === b64).toBe(true)
    await settled()

    const images = (await env.IMAGES.list({ prefix: 'images/' })).objects
    expect(images).toHaveLength(1)
    expect(images[0]?.size).toBe(TWELVE_MB)
    expect(images[0]?.etag).toMatch(/-3$/) // 5 MiB + 5 MiB + the rest

    const hit = await generate(request)
    expect(hit.headers.get('x-cache')).toBe('HIT')
    const hitBody = (await hit.json()) as { data: { b64_json: string }[] }
    expect(hitBody.data[0]?.b64_json === b64).toBe(true)

    const streamed = await readEvents(await generate({ ...request, stream: true }))
    expect(streamed.map((e) => e.event)).toEqual(['image_generation.completed'])
    expect(JSON.parse(streamed[0]?.data ?? '{}').b64_json === b64).toBe(true)
    expect(fake.calls).toHaveLength(1)
  })

  it('streams through as an SSE event, forwarded byte for byte', async () => {
    const b64 = bigImage(TWELVE_MB)
    const frame = sseEvent('image_generation.completed', {
      b64_json: b64,
      usage: { total_tokens: 1 },
    })
    fakeUpstream().reply({ kind: 'sse', frames: [frame] })
    const res = await generate({ prompt: 'a harbour', stream: true })
    const text = await res.text()
    expect(text.endsWith(frame)).toBe(true)
    expect(text.slice(0, text.length - frame.length)).toBe(': keep-alive\n\n')
  })
})
