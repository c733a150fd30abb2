/**
 * Fuzzing edits (fast-check): multipart and JSON bodies cut, corrupted, padded or with a piece
 * repeated anywhere never cause a 5xx, an upstream call unless the edit is valid, or a picture
 * left in R2; a JSON key given twice is refused; and the edit cache key follows the pictures'
 * digests in order, whatever the form.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cacheKey } from '../../src/cache/cache-key'
import type { InputImage } from '../../src/result/inputs'
import { normalizeEdit } from '../../src/schema/edit-request'
import { dataUrl, jpeg, png, postRaw } from '../helpers/edits'
import { fakeUpstream, settled } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'

/** A valid edit's bytes in each form. */
async function validBodies() {
  const form = new FormData()
  form.append('image[]', new File([png(8, 8)], 'a.png', { type: 'image/png' }))
  form.append('image[]', new File([jpeg(8, 8)], 'b.jpg', { type: 'image/jpeg' }))
  form.append('mask', new File([png(8, 8, true)], 'm.png', { type: 'image/png' }))
  form.append('prompt', 'a red door')
  form.append('n', '2')
  const request = new Request('https://x.test/', { method: 'POST', body: form })
  const json = JSON.stringify({
    prompt: 'a red door',
    images: [{ image_url: dataUrl(png(8, 8)) }, { image_url: dataUrl(jpeg(8, 8)) }],
    mask: { image_url: dataUrl(png(8, 8, true)) },
  })
  return [
    {
      bytes: new Uint8Array(await request.arrayBuffer()),
      type: request.headers.get('content-type') as string,
    },
    { bytes: new TextEncoder().encode(json), type: 'application/json' },
  ]
}

/** Cut the body short, overwrite some bytes, insert some, or repeat a piece of the body. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    from: fc.nat(),
    length: fc.integer({ min: 1, max: 4000 }),
  }),
)

type Mutation = {
  kind: 'cut' | 'flip' | 'insert' | 'repeat'
  at: number
  bytes?: Uint8Array
  from?: number
  length?: number
}

function mutate(bytes: Uint8Array, m: Mutation) {
  const at = m.at % (bytes.length + 1)
  if (m.kind === 'cut') return bytes.subarray(0, at)
  if (m.kind === 'repeat') {
    const from = (m.from as number) % (bytes.length + 1)
    const piece = bytes.subarray(from, from + (m.length as number))
    return new Uint8Array([...bytes.subarray(0, at), ...piece, ...bytes.subarray(at)])
  }
  const extra = m.bytes as Uint8Array
  if (m.kind === 'flip') {
    const out = bytes.slice()
    out.set(extra.subarray(0, Math.max(0, out.length - at)), at)
    return out
  }
  return new Uint8Array([...bytes.subarray(0, at), ...extra, ...bytes.subarray(at)])
}

describe('mutated edit bodies', () => {
  it('never give a 5xx, an upstream call unless accepted, or a leftover picture (property)', async () => {
    const bodies = await validBodies()
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), mutation, async (which, m) => {
        const fake = fakeUpstream()
        const body = bodies[which] as { bytes: Uint8Array; type: string }
        const res = await postRaw(mutate(body.bytes, m), body.type)
        await res.arrayBuffer()
        await settled()
        expect(res.status).toBeLessThan(500)
        if (res.status !== 200) expect(fake.calls).toHaveLength(0)
        expect(await storedKeys('inputs/')).toEqual([])
      }),
      { numRuns: 60 },
    )
  })
})

/** Values a member of a JSON edit may take; an images list may repeat a key inside a picture. */
function memberValues() {
  const [a, b, m] = [dataUrl(png(8, 8)), dataUrl(jpeg(8, 8)), dataUrl(png(8, 8, true))]
  return {
    prompt: ['"a red door"', '"a blue door"', 'null'],
    images: [
      `[{"image_url":"${a}"},{"image_url":"${b}"}]`,
      `[{"image_url":"${a}"},{"image_url":"${a}"},{"image_url":"${b}"}]`,
      `[{"image_url":"${b}","image_url":"${a}"}]`,
      '[]',
      'null',
    ],
    mask: [`{"image_url":"${m}"}`, 'null'],
    n: ['2', '1'],
  }
}

describe('JSON edits that give a key twice', () => {
  it('are refused naming the key, with no call and nothing left in R2 (property)', async () => {
    const values = memberValues()
    const keys = Object.keys(values) as (keyof typeof values)[]
    const choice = (key: keyof typeof values) => fc.constantFrom(...values[key])
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...keys),
        fc.nat(),
        fc.nat(),
        fc.record({
          prompt: choice('prompt'),
          images: choice('images'),
          mask: choice('mask'),
          n: choice('n'),
        }),
        async (key, pick, at, chosen) => {
          const members = Object.entries(chosen).map(([name, value]) => `"${name}":${value}`)
          const again = values[key][pick % values[key].length] as string
          members.splice(at % (members.length + 1), 0, `"${key}":${again}`)
          const fake = fakeUpstream()
          const res = await postRaw(`{${members.join(',')}}`, 'application/json')
          const { error } = (await res.json()) as { error: { param: string | null } }
          await settled()
          expect(res.status).toBe(400)
          expect(error.param).toMatch(/^(prompt|images|mask|n)(\.|$)/)
          expect(fake.calls).toHaveLength(0)
          expect(await storedKeys('inputs/')).toEqual([])
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('the edit cache key', () => {
  const picture = (n: number): InputImage => ({
    sha256: n.toString(16).padStart(64, '0'),
    bytes: 1,
    format: 'png',
    width: 1,
    height: 1,
  })
  const key = (images: number[], mask: number | null) =>
    cacheKey(
      normalizeEdit(
        { prompt: 'p' },
        { images: images.map(picture), mask: mask === null ? null : picture(mask) },
      ),
      { upstream: 'demo', scope: null },
    )

  it('is the same for the same digests in the same order, and differs otherwise (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 16 }),
        fc.option(fc.nat(1000)),
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 16 }),
        fc.option(fc.nat(1000)),
        async (a, maskA, b, maskB) => {
          const same = JSON.stringify([a, maskA]) === JSON.stringify([b, maskB])
          expect((await key(a, maskA)) === (await key(b, maskB))).toBe(same)
        },
      ),
      { numRuns: 200 },
    )
  })
})
