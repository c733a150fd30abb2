/**
 * The byte-level Images JSON scanner: each image's base64 exactly as sent, the rest parsed,
 * the same at any chunking; malformed bodies refused.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JsonImageScanner } from '../../src/stream/json-image-scanner'
import { MalformedBodyError } from '../../src/stream/malformed'
import { splitAt } from '../helpers/chunks'

const decoder = new TextDecoder()
const bytes = (text: string) => new TextEncoder().encode(text)

function scan(chunks: Uint8Array[]) {
  const images: string[] = []
  let current: number[] | null = null
  const scanner = new JsonImageScanner(
    {
      imageBegin: () => {
        current = []
      },
      base64: (chunk, from, to) => current?.push(...chunk.subarray(from, to)),
      imageEnd: (chunk, at) => {
        expect(chunk[at]).toBe(0x22) // the closing quote
        images.push(decoder.decode(new Uint8Array(current ?? [])))
        current = null
      },
    },
    1024 * 1024,
  )
  for (const chunk of chunks) scanner.push(chunk)
  return { images, skeleton: scanner.finish() }
}

const images = ['iVBORw0KGgoAAAANSUhEUg+/==', 'AAAA/9j/4AAQSkZJRg==', 'UklGRlYAAABXRUJQ']
const body = JSON.stringify({
  created: 1_700_000_000,
  background: 'opaque',
  data: images.map((b64_json) => ({
    b64_json,
    revised_prompt: 'quote " and "b64_json":"x" inside',
  })),
  output_format: 'png',
  usage: { total_tokens: 42 },
})

describe('JsonImageScanner', () => {
  it('passes on every image and parses the rest of the body', () => {
    const result = scan([bytes(body)])
    expect(result.images).toEqual(images)
    expect(result.skeleton).toMatchObject({
      created: 1_700_000_000,
      output_format: 'png',
      usage: { total_tokens: 42 },
      data: images.map(() => ({ b64_json: '' })),
    })
  })

  it('gives the same result at any chunking (property)', () => {
    const expected = scan([bytes(body)])
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 60 }), (cuts) => {
        expect(scan(splitAt(bytes(body), cuts))).toEqual(expected)
      }),
    )
  })

  it('keeps escaped slashes as sent and allows spaces around the colon', () => {
    const result = scan([bytes('{"data":[{"b64_json" :  "ab\\/cd=="}]}')])
    expect(result.images).toEqual(['ab\\/cd=='])
  })

  it.each([
    ['a body cut inside an image', '{"data":[{"b64_json":"abc'],
    ['a body cut after an image', '{"data":[{"b64_json":"abc"}'],
    ['not JSON', 'Internal Server Error'],
    ['a JSON array', '[1,2]'],
  ])('refuses %s', (_label, text) => {
    expect(() => scan([bytes(text)])).toThrow(MalformedBodyError)
  })

  it('refuses more metadata than an Images answer has', () => {
    const scanner = new JsonImageScanner(
      { imageBegin: () => {}, base64: () => {}, imageEnd: () => {} },
      100,
    )
    expect(() => scanner.push(bytes(`{"x":"${'y'.repeat(200)}"}`))).toThrow(MalformedBodyError)
  })
})
