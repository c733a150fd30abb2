/**
 * The header probe: type, dimensions and alpha of png (by colour type or tRNS), jpeg (past APP
 * segments) and webp (VP8, VP8L, VP8X) pictures, at any chunking; anything else is refused with
 * a reason. And the one runtime behaviour the input writer relies on: DigestStream takes a
 * chunk's bytes when it is written.
 */
import fc from 'fast-check'
import { encode as encodePng } from 'fast-png'
import { describe, expect, it } from 'vitest'
import { hex } from '../../src/stream/bytes'
import { ImageProbe } from '../../src/stream/image-probe'
import { jpeg, png, webp } from '../helpers/edits'

function probe(chunks: Uint8Array[]) {
  const p = new ImageProbe()
  for (const chunk of chunks) p.push(chunk)
  p.end()
  return p.result
}

const bytewise = (bytes: Uint8Array) => Array.from(bytes, (b) => new Uint8Array([b]))

/** A palette png, with a tRNS chunk when `transparent`. */
function palettePng(transparent: boolean): Uint8Array {
  // fast-png writes a tRNS chunk for palette entries with an alpha component.
  const palette = transparent
    ? [
        [255, 0, 0, 0],
        [0, 0, 255, 255],
      ]
    : [
        [255, 0, 0],
        [0, 0, 255],
      ]
  return encodePng({
    width: 3,
    height: 2,
    data: new Uint8Array([0, 1, 0, 1, 0, 1]),
    depth: 8,
    channels: 1,
    palette,
  })
}

/** A jpeg with a large APP1 (EXIF-like) segment before its frame header. */
function jpegWithApp(): Uint8Array {
  const plain = jpeg(40, 30)
  const app = new Uint8Array(4 + 60_000)
  app.set([0xff, 0xe1, (60_002 >> 8) & 0xff, 60_002 & 0xff])
  return new Uint8Array([...plain.subarray(0, 2), ...app, ...plain.subarray(2)])
}

/** A lossy (VP8) or extended (VP8X, with alpha) webp header. */
function webpOf(chunk: 'VP8 ' | 'VP8X', width: number, height: number): Uint8Array {
  const body =
    chunk === 'VP8 '
      ? [0, 0, 0, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8]
      : [
          0x10,
          0,
          0,
          0,
          (width - 1) & 0xff,
          (width - 1) >> 8,
          0,
          (height - 1) & 0xff,
          (height - 1) >> 8,
          0,
        ]
  const ascii = (t: string) => [...t].map((c) => c.charCodeAt(0))
  const riff = [...ascii('WEBP'), ...ascii(chunk), body.length, 0, 0, 0, ...body]
  return new Uint8Array([...ascii('RIFF'), riff.length, 0, 0, 0, ...riff])
}

const CASES: [string, Uint8Array, unknown][] = [
  ['an RGB png', png(20, 10), { format: 'png', width: 20, height: 10, alpha: false }],
  ['an RGBA png', png(7, 9, true), { format: 'png', width: 7, height: 9, alpha: true }],
  ['a palette png', palettePng(false), { format: 'png', width: 3, height: 2, alpha: false }],
  [
    'a palette png with tRNS',
    palettePng(true),
    { format: 'png', width: 3, height: 2, alpha: true },
  ],
  ['a jpeg', jpeg(33, 17), { format: 'jpeg', width: 33, height: 17, alpha: false }],
  [
    'a jpeg with a 60 KB APP1',
    jpegWithApp(),
    { format: 'jpeg', width: 40, height: 30, alpha: false },
  ],
  ['a lossless webp', webp(300, 200), { format: 'webp', width: 300, height: 200, alpha: false }],
  [
    'a lossy webp',
    webpOf('VP8 ', 640, 480),
    { format: 'webp', width: 640, height: 480, alpha: false },
  ],
  [
    'an extended webp',
    webpOf('VP8X', 5000, 20),
    { format: 'webp', width: 5000, height: 20, alpha: true },
  ],
]

describe('ImageProbe', () => {
  it.each(CASES)('reads %s, whole and byte by byte', (_label, bytes, expected) => {
    expect(probe([bytes])).toEqual(expected)
    expect(probe(bytewise(bytes.subarray(0, Math.min(bytes.length, 70_000))))).toEqual(expected)
  })

  it('reads the same at any chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CASES),
        fc.array(fc.nat(), { maxLength: 8 }),
        ([, bytes, expected], cuts) => {
          const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b)
          const chunks = [0, ...points].map((from, i) =>
            bytes.subarray(from, [...points, bytes.length][i]),
          )
          expect(probe(chunks)).toEqual(expected)
        },
      ),
      { numRuns: 100 },
    )
  })

  it.each([
    ['text', new TextEncoder().encode('hello, this is not a picture'), 'not a png, jpeg or webp'],
    ['a gif', new TextEncoder().encode('GIF89a\x01\x00\x01\x00'), 'not a png, jpeg or webp'],
    ['a cut png', png().subarray(0, 20), 'ends before its header'],
    ['an empty file', new Uint8Array(0), 'ends before its header'],
    ['a zero-width webp', webpOf('VP8 ', 0, 10), 'no pixels'],
  ])('refuses %s', (_label, bytes, reason) => {
    expect(probe([bytes])).toContain(reason)
  })
})

describe('DigestStream (which the input writer relies on)', () => {
  it('takes the bytes of a chunk when it is written, so the chunk may be reused after', async () => {
    const chunk = new Uint8Array(1024).fill(1)
    const stream = new crypto.DigestStream('SHA-256')
    const writer = stream.getWriter()
    const written = writer.write(chunk)
    chunk.fill(2)
    await written
    await writer.close()
    const ones = new Uint8Array(1024).fill(1)
    expect(hex(await stream.digest)).toBe(hex(await crypto.subtle.digest('SHA-256', ones)))
  })
})
