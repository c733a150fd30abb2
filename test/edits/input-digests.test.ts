/**
 * Picture digests are the bytes (property): whatever the form (multipart, JSON data: URL, https
 * URL) and however the body is cut, the digest in the cache key is the SHA-256 of exactly what the
 * upstream got, so the same picture in another form is the same cached edit.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FAKE_FILES_URL, type FakeUpstream } from '../fakes/upstream'
import { dataUrl, jpeg, png, postEdit, postRaw, sha256, webp } from '../helpers/edits'
import { ENVS, fakeUpstream, settled } from '../helpers/gateway'
import { manifestsSince, storedKeys } from '../helpers/r2'

const MB = 1024 * 1024
const HEADERS = { png: png(8, 8), jpeg: jpeg(8, 8), webp: webp(8, 8) }
/** EDIT_IMAGE_URL_HOSTS naming the fake's file host: the operator allows it. */
const URL_ENV = { ...ENVS.remote, EDIT_IMAGE_URL_HOSTS: new URL(FAKE_FILES_URL).hostname }

/** A picture of `size` bytes (at least its header): a real header, then seeded noise. */
function picture(kind: keyof typeof HEADERS, size: number, seed: number): Uint8Array {
  const head = HEADERS[kind]
  const bytes = new Uint8Array(Math.max(head.length, size))
  bytes.set(head)
  let x = seed | 1
  for (let i = head.length; i < bytes.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

/** Pieces a body is cut into at most (about): a byte at a time would take minutes. */
const MAX_PIECES = 300

/** `bytes` as a stream cut into pieces of the given sizes, used in turn. */
function cutStream(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  const least = Math.ceil(bytes.length / MAX_PIECES)
  let at = 0
  let turn = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close()
      const size = Math.max(least, sizes[turn++ % sizes.length] as number)
      controller.enqueue(bytes.slice(at, at + size))
      at += size
    },
  })
}

type Form = 'multipart' | 'json' | 'url'

/** An edit of one picture in `form`, its body cut into `sizes`. */
async function sendEdit(
  fake: FakeUpstream,
  form: Form,
  bytes: Uint8Array,
  prompt: string,
  sizes: number[],
) {
  if (form === 'multipart') {
    const body = new FormData()
    body.append('image', new File([bytes], 'p.bin', { type: 'application/octet-stream' }))
    body.append('prompt', prompt)
    const request = new Request('https://x.test/', { method: 'POST', body })
    const raw = new Uint8Array(await request.arrayBuffer())
    const type = request.headers.get('content-type') as string
    return postRaw(cutStream(raw, sizes), type)
  }
  if (form === 'json') {
    const text = JSON.stringify({ prompt, images: [{ image_url: dataUrl(bytes) }] })
    return postRaw(cutStream(new TextEncoder().encode(text), sizes), 'application/json')
  }
  const path = `/${await sha256(bytes)}`
  fake.serve(path, new Response(cutStream(bytes, sizes)))
  return postEdit({ prompt, images: [{ image_url: `${FAKE_FILES_URL}${path}` }] }, { env: URL_ENV })
}

const size = fc.oneof(
  fc.integer({ min: 1, max: 4 * 1024 }),
  fc.integer({ min: 48 * 1024, max: 300 * 1024 }),
  fc.integer({ min: 300 * 1024, max: 2 * MB }),
)
const sizes = fc.array(fc.integer({ min: 1, max: 400 * 1024 }), { minLength: 1, maxLength: 6 })
const form = fc.constantFrom<Form>('multipart', 'json', 'url')

describe('picture digests', () => {
  it('are the SHA-256 of the bytes sent upstream, one cache entry in any form (property)', async () => {
    let run = 0
    const seen = new Set<string>() // the manifests earlier runs stored, not read again
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<keyof typeof HEADERS>('png', 'jpeg', 'webp'),
        size,
        fc.integer(),
        form,
        form,
        sizes,
        sizes,
        async (kind, length, seed, first, second, cutsA, cutsB) => {
          const bytes = picture(kind, length, seed)
          const expected = await sha256(bytes)
          const prompt = `run ${run++}`
          const fake = fakeUpstream()
          const miss = await sendEdit(fake, first, bytes, prompt, cutsA)
          expect(miss.status, await miss.clone().text()).toBe(200)
          await miss.arrayBuffer()
          await settled()
          expect(fake.calls).toHaveLength(1)
          expect(fake.calls[0]?.files?.[0]).toMatchObject({ bytes: bytes.length, sha256: expected })
          const stored = (await manifestsSince(seen)).find((m) => m.request.prompt === prompt)
          expect(stored?.request.edit?.images).toEqual([expected])

          const hit = await sendEdit(fake, second, bytes, prompt, cutsB)
          expect(hit.status).toBe(200)
          expect(hit.headers.get('x-cache')).toBe('HIT')
          await hit.arrayBuffer()
          await settled()
          expect(fake.calls).toHaveLength(1)
          expect(await storedKeys('inputs/')).toEqual([])
        },
      ),
      { numRuns: 40 },
    )
  })
})
