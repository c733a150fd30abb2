/**
 * The demo upstream edits for real: the answer is made from the input picture (the prompt's
 * palette over it), the mask's transparent region is repainted and the rest left alone, sizes and
 * formats are honoured (`auto` follows the input's shape), partial images stream first; what the
 * demo cannot read is refused before any call.
 */
import { decode as decodePng, encode } from 'fast-png'
import { decode as decodeJpeg } from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { file, form, jpeg, png, postEdit, webp } from '../helpers/edits'
import { ENVS, fakeUpstream } from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

const decodeBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0))

const prompt = 'the same street, in a storm'

async function demoEdit(entries: [string, string | File][]) {
  fakeUpstream()
  const res = await postEdit(form([...entries, ['prompt', prompt]]), { env: ENVS.demo })
  expect(res.status, await res.clone().text()).toBe(200)
  expect(res.headers.get('x-upstream')).toBe('demo')
  return res
}

async function picture(entries: [string, string | File][]) {
  const body = (await (await demoEdit(entries)).json()) as {
    data: { b64_json: string }[]
    size: string
    usage: { input_tokens_details: { image_tokens: number } }
  }
  const decoded = decodePng(decodeBase64(body.data[0]?.b64_json ?? ''))
  return { ...body, decoded }
}

/** A solid-colour png: its retouched copy is then the palette's colour everywhere. */
function solid(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const data = new Uint8Array(width * height * 3)
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3)
  return encodePng(width, height, data)
}

const encodePng = (width: number, height: number, data: Uint8Array) =>
  encode({ width, height, data, channels: 3, depth: 8 })

/** RGB of a decoded picture at (x, y). */
function rgb(
  p: { width: number; data: ArrayLike<number>; channels: number },
  x: number,
  y: number,
) {
  const at = (y * p.width + x) * p.channels
  return [p.data[at], p.data[at + 1], p.data[at + 2]]
}

describe('demo edits', () => {
  it('makes the picture from the input, at the size its shape suggests', async () => {
    const white = await picture([['image', file(solid(64, 32, [255, 255, 255]))]])
    const black = await picture([['image', file(solid(64, 32, [0, 0, 0]))]])
    expect(white.size).toBe('1536x1024')
    expect([white.decoded.width, white.decoded.height]).toEqual([1536, 1024])
    // A white input stays light and a black one dark under the same palette.
    const lum = (c: (number | undefined)[]) => (c as number[]).reduce((a, b) => a + b, 0)
    expect(lum(rgb(white.decoded, 700, 500))).toBeGreaterThan(
      lum(rgb(black.decoded, 700, 500)) + 200,
    )
  })

  it('repaints only the mask’s transparent region', async () => {
    const input = solid(32, 32, [200, 200, 200])
    const plain = await picture([
      ['image', file(input)],
      ['size', '1024x1024'],
    ])
    // The test mask is transparent on its left half.
    const masked = await picture([
      ['image', file(input)],
      ['mask', file(png(32, 32, true))],
      ['size', '1024x1024'],
    ])
    expect(rgb(masked.decoded, 900, 512)).toEqual(rgb(plain.decoded, 900, 512))
    let repainted = 0
    for (let y = 0; y < 1024; y += 64) {
      if (rgb(masked.decoded, 100, y).join() !== rgb(plain.decoded, 100, y).join()) repainted++
    }
    expect(repainted).toBeGreaterThan(8)
  })

  it('reports image input tokens for every picture, more at high fidelity', async () => {
    const low = await picture([
      ['image[]', file(png())],
      ['image[]', file(png())],
    ])
    const high = await picture([
      ['image[]', file(png())],
      ['image[]', file(png())],
      ['input_fidelity', 'high'],
    ])
    expect(low.usage.input_tokens_details.image_tokens).toBeGreaterThan(0)
    expect(high.usage.input_tokens_details.image_tokens).toBeGreaterThan(
      4 * low.usage.input_tokens_details.image_tokens,
    )
  })

  it('streams partial images, then the edit, as jpeg when asked', async () => {
    const res = await demoEdit([
      ['image', file(jpeg(40, 40), 'a.jpg', 'image/jpeg')],
      ['stream', 'true'],
      ['partial_images', '3'],
      ['output_format', 'jpeg'],
      ['size', '1024x1536'],
    ])
    const events = await readEvents(res)
    expect(events.map((e) => e.event)).toEqual([
      'image_edit.partial_image',
      'image_edit.partial_image',
      'image_edit.partial_image',
      'image_edit.completed',
    ])
    const done = JSON.parse(events[3]?.data ?? '{}') as { b64_json: string }
    const decoded = decodeJpeg(decodeBase64(done.b64_json), { useTArray: true })
    expect([decoded.width, decoded.height]).toEqual([1024, 1536])
  })

  it('refuses a webp first picture before calling it, saying what it can read', async () => {
    fakeUpstream()
    const res = await postEdit(
      form([
        ['image', file(webp(), 'a.webp', 'image/webp')],
        ['prompt', prompt],
      ]),
      {
        env: ENVS.demo,
      },
    )
    expect(res.status).toBe(400)
    const { error } = (await res.json()) as { error: { param: string; message: string } }
    expect(error.param).toBe('image')
    expect(error.message).toContain('png and jpeg')
  })
})
