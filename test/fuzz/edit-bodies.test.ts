/**
 * Fuzzing edits (fast-check): multipart and JSON bodies cut, corrupted or padded anywhere never
 * cause a 5xx, an upstream call unless the edit is valid, or a picture left in R2; and the edit
 * cache key follows the pictures' digests in order, whatever the form.
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

/** Cut the body short, overwrite some bytes, or insert some. */
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
)

type Mutation = { kind: 'cut' | 'flip' | 'insert'; at: number; bytes?: Uint8Array }

function mutate(bytes: Uint8Array, m: Mutation) {
  const at = m.at % (bytes.length + 1)
  if (m.kind === 'cut') return bytes.subarray(0, at)
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
