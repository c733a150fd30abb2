/**
 * Base64 in slices: decoding pieces cut anywhere (escaped slashes included) gives the bytes;
 * encoding a stream cut anywhere gives the text, from any starting character.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Base64Decoder, base64Pieces, encodeBase64 } from '../../src/stream/base64'
import type { ChunkRef } from '../../src/stream/buffer-pool'
import { concat } from '../../src/stream/bytes'
import { MalformedBodyError } from '../../src/stream/malformed'
import { splitAt, streamOf } from '../helpers/chunks'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function decodeAll(pieces: Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = []
  const base64 = new Base64Decoder((bytes) => out.push(bytes.slice()))
  for (const piece of pieces) base64.push(piece)
  base64.finish()
  return out.length === 0 ? new Uint8Array(0) : concat(out)
}

async function encodeAll(stream: ReadableStream<Uint8Array>, skip = 0): Promise<string> {
  let text = ''
  for await (const piece of base64Pieces(stream, skip)) text += decoder.decode(piece)
  return text
}

const data = fc.uint8Array({ minLength: 0, maxLength: 200_000 })
const cuts = fc.array(fc.nat(), { maxLength: 20 })

describe('Base64Decoder', () => {
  it('decodes text cut anywhere, escaped slashes included (property)', () => {
    fc.assert(
      fc.property(data, cuts, fc.boolean(), (bytes, points, escaped) => {
        let text = encodeBase64(bytes)
        if (escaped) text = text.replaceAll('/', '\\/')
        expect(decodeAll(splitAt(encoder.encode(text), points))).toEqual(bytes)
      }),
      { numRuns: 50 },
    )
  })

  it('decodes an image larger than its staging buffer in slices', () => {
    const bytes = crypto.getRandomValues(new Uint8Array(65_536)).slice()
    const big = concat(Array.from({ length: 20 }, () => bytes))
    const slices: number[] = []
    const base64 = new Base64Decoder((out) => slices.push(out.length))
    base64.push(encoder.encode(encodeBase64(big)))
    base64.finish()
    expect(slices.reduce((a, b) => a + b, 0)).toBe(big.length)
    expect(Math.max(...slices)).toBeLessThanOrEqual(48 * 1024)
  })

  it('keeps a retained slice intact while later slices are decoded', () => {
    const bytes = crypto.getRandomValues(new Uint8Array(60_000))
    const big = concat(Array.from({ length: 10 }, (_, i) => bytes.map((b) => b ^ i)))
    const kept: Uint8Array[] = []
    const refs: ChunkRef[] = []
    const base64 = new Base64Decoder((out, ref) => {
      ref.retain()
      refs.push(ref)
      kept.push(out)
    })
    base64.push(encoder.encode(encodeBase64(big)))
    base64.finish()
    expect(kept.length).toBeGreaterThan(5)
    expect(concat(kept)).toEqual(big)
    for (const ref of refs) ref.release()
  })

  it.each([
    ['a character outside base64', 'iVBO!w0K'],
    ['a dangling character', 'iVBORw0KG'],
    ['an escape other than \\/', 'iVBO\\nw0K'],
    ['a trailing backslash', 'iVBORw0K\\'],
  ])('refuses %s', (_label, text) => {
    expect(() => decodeAll([encoder.encode(text)])).toThrow(MalformedBodyError)
  })
})

describe('base64Pieces', () => {
  it('encodes a stream cut anywhere, from any character (property)', async () => {
    await fc.assert(
      fc.asyncProperty(data, cuts, fc.nat(), async (bytes, points, at) => {
        const full = encodeBase64(bytes)
        const start = full.length === 0 ? 0 : at % full.length
        const from = Math.floor(start / 4) * 3
        const stream = streamOf(splitAt(bytes.slice(from), points))
        expect(await encodeAll(stream, start % 4)).toBe(full.slice(start))
      }),
      { numRuns: 50 },
    )
  })
})
