/**
 * Base64 in slices: decoding pieces cut anywhere (escaped slashes included) gives the bytes;
 * encoding a stream cut anywhere gives the text, from any starting character, in pooled chunks.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Base64Decoder, base64Chunks, ENCODE_BYTES, encodeBase64 } from '../../src/stream/base64'
import { type ChunkRef, PooledChunk } from '../../src/stream/buffer-pool'
import { concat } from '../../src/stream/bytes'
import { MalformedBodyError } from '../../src/stream/malformed'
import { byteStreamOf, splitAt, streamOf } from '../helpers/chunks'

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
  for await (const piece of base64Chunks(stream, skip)) text += decoder.decode(piece.bytes)
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

describe('base64Chunks', () => {
  it.each([
    ['a stream made in JavaScript', streamOf],
    ['a byte stream', byteStreamOf],
  ])('encodes %s cut anywhere, from any character (property)', async (_label, make) => {
    await fc.assert(
      fc.asyncProperty(data, cuts, fc.nat(), async (bytes, points, at) => {
        const full = encodeBase64(bytes)
        const start = full.length === 0 ? 0 : at % full.length
        const from = Math.floor(start / 4) * 3
        const stream = make(splitAt(bytes.slice(from), points))
        expect(await encodeAll(stream, start % 4)).toBe(full.slice(start))
      }),
      { numRuns: 50 },
    )
  })

  it('encodes 192 KiB per chunk into pooled blocks, whatever the reads', async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(65_536))
    const big = concat(Array.from({ length: 10 }, (_, i) => bytes.map((b) => b ^ i)))
    for (const make of [streamOf, byteStreamOf]) {
      const sizes: number[] = []
      let text = ''
      for await (const { bytes: piece, ref } of base64Chunks(make(splitAt(big, [1000, 99_999])))) {
        sizes.push(piece.length)
        expect(ref).toBeInstanceOf(PooledChunk)
        text += decoder.decode(piece)
      }
      expect(text).toBe(encodeBase64(big))
      expect(sizes.slice(0, -1)).toEqual(sizes.slice(0, -1).map(() => (ENCODE_BYTES / 3) * 4))
    }
  })

  it('keeps a retained chunk intact while the next ones are encoded', async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(ENCODE_BYTES / 4))
    const big = concat(Array.from({ length: 12 }, (_, i) => bytes.map((b) => b ^ i)))
    const kept: Uint8Array[] = []
    const refs: ChunkRef[] = []
    for await (const { bytes: piece, ref } of base64Chunks(byteStreamOf([big]))) {
      ref.retain()
      refs.push(ref)
      kept.push(piece)
    }
    expect(decoder.decode(concat(kept))).toBe(encodeBase64(big))
    for (const ref of refs) ref.release()
  })
})
