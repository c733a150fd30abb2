/**
 * What the demo cannot decode reaches the client as a 400 naming the field, never a 500: a
 * decompression bomb as the picture or the mask, a corrupt png, a cut jpeg, a jpeg whose later
 * frame is larger than the one probed. Nothing is cached or left in R2; a managed key gets back
 * what was reserved.
 */
import { describe, expect, it } from 'vitest'
import { demoFetch } from '../../src/demo/demo-upstream'
import { file, form, jpeg, png, postEdit } from '../helpers/edits'
import { ENVS, fakeUpstream, settled } from '../helpers/gateway'
import { ADMIN, createKey, usage } from '../helpers/keys'
import { bombPng, pngWith, scanlines } from '../helpers/png-files'
import { storedKeys } from '../helpers/r2'

const prompt = 'the same street, in a storm'
/** A picture and a mask of the bomb's size; the mask is the bomb's shape with alpha. */
const picture = () => file(png(64, 64))
const bomb = () => file(bombPng(64, 64, 64))

/** A png whose header is whole and whose image data is not zlib. */
function corruptPng(): Uint8Array {
  const spec = { width: 8, height: 8, colorType: 2, depth: 8 } as const
  const bytes = pngWith(
    spec,
    scanlines(
      spec,
      (x, y) => x * y,
      () => 0,
    ),
  )
  // IDAT's data starts after the signature (8), IHDR (25) and IDAT's length and type (8).
  return bytes.fill(0x41, 41, 47)
}

const jpegBytes = jpeg(40, 40)

/** A 40x40 jpeg with a second frame header, of 4000x4000, after the first (the one probed). */
function jpegGrowing(): Uint8Array {
  const sof = jpegBytes.findIndex((b, i) => b === 0xff && jpegBytes[i + 1] === 0xc0)
  const end = sof + 2 + ((jpegBytes[sof + 2] as number) << 8) + (jpegBytes[sof + 3] as number)
  const larger = jpegBytes.slice(sof, end)
  larger.set([4000 >> 8, 4000 & 255, 4000 >> 8, 4000 & 255], 5)
  return new Uint8Array([...jpegBytes.subarray(0, end), ...larger, ...jpegBytes.subarray(end)])
}

/** The 40x40 jpeg with a header that says 2000x1100: over the demo's 2 Mpx for a jpeg. */
function jpegOverLimit(): Uint8Array {
  const bytes = jpegBytes.slice()
  const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0)
  bytes.set([1100 >> 8, 1100 & 255, 2000 >> 8, 2000 & 255], sof + 5)
  return bytes
}

const cases: [string, [string, File][], string, string][] = [
  ['a bomb as the picture', [['image', bomb()]], 'image', 'inflates past the 16448 bytes'],
  [
    'a bomb as the mask',
    [
      ['image', picture()],
      ['mask', bomb()],
    ],
    'mask',
    'inflates past the 16448 bytes',
  ],
  ['a corrupt png', [['image', file(corruptPng())]], 'image', 'its image data is corrupt'],
  [
    'a jpeg cut short',
    [['image', file(jpegBytes.subarray(0, jpegBytes.length - 2), 'a.jpg', 'image/jpeg')]],
    'image',
    'its jpeg data is corrupt',
  ],
  [
    'a jpeg whose second frame is larger',
    [['image', file(jpegGrowing(), 'a.jpg', 'image/jpeg')]],
    'image',
    'it needs more memory to decode than the demo gives a picture',
  ],
  [
    'a jpeg over 2 megapixels',
    [['image', file(jpegOverLimit(), 'a.jpg', 'image/jpeg')]],
    'image',
    'reads jpeg pictures of up to 2097152 pixels',
  ],
]

async function refused(res: Response, param: string) {
  const body = (await res.json()) as { error: { param: string; message: string; code: string } }
  expect(res.status, body.error.message).toBe(400)
  expect(body.error.param).toBe(param)
  return body.error
}

describe('demo edits of pictures it cannot decode', () => {
  it.each(cases)('%s is a 400 naming the field, nothing kept', async (_label, parts, param) => {
    fakeUpstream()
    for (const attempt of [1, 2]) {
      const res = await postEdit(form([...parts, ['prompt', prompt]]), { env: ENVS.demo })
      expect(res.headers.get('x-cache'), `attempt ${attempt}`).not.toBe('HIT')
      expect(res.headers.get('x-should-retry')).toBe('false')
      await refused(res, param)
      await settled()
    }
    expect(await storedKeys()).toEqual([])
  })

  it.each(cases)('%s: the demo says why', async (_label, parts, param, reason) => {
    const res = await demoFetch(
      new Request('https://demo.invalid/v1/images/edits', {
        method: 'POST',
        body: form([...parts, ['prompt', prompt]]),
      }),
      { partialIntervalMs: 0 },
    )
    expect((await refused(res, param)).message).toContain(reason)
  })

  it('gives a managed key back what it reserved', async () => {
    fakeUpstream()
    const env = { ...ENVS.demo, ADMIN_TOKEN: ADMIN }
    const { key } = await createKey({ name: 'bomber', kind: 'secret', balance_usd: 5 }, env)
    const res = await postEdit(
      form([
        ['image', bomb()],
        ['prompt', prompt],
      ]),
      { env, headers: { authorization: `Bearer ${key}` } },
    )
    await refused(res, 'image')
    await settled()
    expect(await usage(key, env)).toMatchObject({ balance_usd: 5, spent_usd: 0 })
  })
})
