/**
 * The demo's png decoder: every colour type, bit depth, filter and interlacing gives the pixels
 * that were written; fast-png's files read the same; a bomb, a corrupt or cut file and a header
 * past the limit are refused with a reason, inflating no more than its header implies; any
 * change to a png or jpeg gives pixels or a reason, never an exception.
 */
import fc from 'fast-check'
import { encode } from 'fast-png'
import { zlibSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { BoundedInflate, InflateError } from '../../src/demo/bounded-inflate'
import { decodePicture } from '../../src/demo/decode-picture'
import { decodePng, Undecodable } from '../../src/demo/png-decoder'
import { jpeg } from '../helpers/edits'
import {
  bombPng,
  CHANNELS,
  chunk,
  ihdr,
  type PngSpec,
  pngFile,
  pngWith,
  scanlines,
  zerosZlib,
} from '../helpers/png-files'

const LIMIT = 1 << 24

/** Colour types with the bit depths each allows. */
const FORMS: [PngSpec['colorType'], PngSpec['depth']][] = [
  [0, 1],
  [0, 2],
  [0, 4],
  [0, 8],
  [0, 16],
  [2, 8],
  [2, 16],
  [3, 1],
  [3, 2],
  [3, 4],
  [3, 8],
  [4, 8],
  [4, 16],
  [6, 8],
  [6, 16],
]

/** The RGBA a sample set stands for, by the specification, independently of the decoder. */
function expectedPixel(
  spec: PngSpec,
  s: number[],
  palette: number[][],
  key: number[] | null,
): number[] {
  const max = 2 ** spec.depth - 1
  const byte = (v: number) => (spec.depth === 16 ? v >> 8 : Math.round((v * 255) / max))
  const [a = 0, b = 0, c = 0, d = 0] = s
  switch (spec.colorType) {
    case 0:
      return [byte(a), byte(a), byte(a), key && key[0] === a ? 0 : 255]
    case 2:
      return [byte(a), byte(b), byte(c), key?.join() === [a, b, c].join() ? 0 : 255]
    case 3:
      return palette[a] ?? [0, 0, 0, 255]
    case 4:
      return [byte(a), byte(a), byte(a), byte(b)]
    default:
      return [byte(a), byte(b), byte(c), byte(d)]
  }
}

const picture = fc
  .record({
    form: fc.constantFrom(...FORMS),
    width: fc.integer({ min: 1, max: 19 }),
    height: fc.integer({ min: 1, max: 19 }),
    interlaced: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    filters: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 9 }),
    transparent: fc.boolean(),
  })
  .map(({ form: [colorType, depth], ...rest }) => ({ colorType, depth, ...rest }))

describe('the png decoder', () => {
  it('gives the pixels written, for every colour type, depth, filter and interlacing', () => {
    fc.assert(
      fc.property(picture, ({ seed, filters, transparent, ...spec }) => {
        const max = 2 ** spec.depth - 1
        const value = (x: number, y: number, c: number) =>
          Math.imul(seed ^ (x * 73856093) ^ (y * 19349663) ^ (c * 83492791), 2654435761) >>> 0
        const sample = (x: number, y: number, c: number) => value(x, y, c) % (max + 1)
        const entries = 2 ** Math.min(spec.depth, 8)
        const palette = Array.from({ length: entries }, (_, i) => [
          (i * 37) & 255,
          (i * 91) & 255,
          (i * 53) & 255,
          transparent && i % 3 === 0 ? (i * 7) & 255 : 255,
        ])
        const key = transparent ? [sample(0, 0, 0), sample(0, 0, 1), sample(0, 0, 2)] : null
        const extra: Uint8Array[] = []
        if (spec.colorType === 3) {
          extra.push(
            chunk(
              'PLTE',
              palette.flatMap((p) => p.slice(0, 3)),
            ),
          )
          if (transparent)
            extra.push(
              chunk(
                'tRNS',
                palette.map((p) => p[3] as number),
              ),
            )
        } else if (key && (spec.colorType === 0 || spec.colorType === 2)) {
          const keySamples = key.slice(0, CHANNELS[spec.colorType])
          extra.push(
            chunk(
              'tRNS',
              keySamples.flatMap((k) => [k >> 8, k & 255]),
            ),
          )
        }
        const data = scanlines(spec, sample, (row) => filters[row % filters.length] as number)
        const decoded = decodePng(pngWith(spec, data, ...extra), LIMIT)
        const usedKey = spec.colorType === 0 ? (key?.slice(0, 1) ?? null) : key
        for (let y = 0; y < spec.height; y++) {
          for (let x = 0; x < spec.width; x++) {
            const samples = Array.from({ length: CHANNELS[spec.colorType] }, (_, c) =>
              sample(x, y, c),
            )
            const at = (y * spec.width + x) * 4
            expect([...decoded.pixels.subarray(at, at + 4)], `(${x}, ${y})`).toEqual(
              expectedPixel(spec, samples, palette, usedKey),
            )
          }
        }
      }),
      { numRuns: 150 },
    )
  })

  it.each([1, 2, 3, 4])('reads what fast-png writes with %i channels', (channels) => {
    for (const depth of [8, 16] as const) {
      const values = Array.from(
        { length: 23 * 17 * channels },
        (_, i) => (i * 2654435761) % 2 ** depth,
      )
      const data = depth === 8 ? Uint8Array.from(values) : Uint16Array.from(values)
      const decoded = decodePng(encode({ width: 23, height: 17, data, channels, depth }), LIMIT)
      for (let p = 0; p < 23 * 17; p++) {
        const s = (c: number) => (data[p * channels + c] as number) >> (depth - 8)
        const grey = channels < 3
        const want = grey
          ? [s(0), s(0), s(0), channels === 2 ? s(1) : 255]
          : [s(0), s(1), s(2), channels === 4 ? s(3) : 255]
        expect([...decoded.pixels.subarray(p * 4, p * 4 + 4)]).toEqual(want)
      }
    }
  })

  it('refuses a bomb after inflating no more than its header implies', () => {
    // 64x64 RGBA: 64 rows of 1 + 256 bytes; the file inflates to 64 MiB.
    const bomb = bombPng(64, 64, 64)
    expect(bomb.length).toBeLessThan(100_000)
    expect(() => decodePng(bomb, LIMIT)).toThrow(
      new Undecodable('its image data inflates past the 16448 bytes its header implies'),
    )
  })

  const spec = { width: 4, height: 4, colorType: 2, depth: 8 } as const
  const rows = scanlines(
    spec,
    (x, y, c) => x + y + c,
    () => 1,
  )
  const good = pngWith(spec, rows)
  /** Where IDAT starts: after the signature (8 bytes) and IHDR (25). */
  const idatAt = 33
  it.each([
    ['no signature', good.subarray(4), 'its png signature is broken'],
    ['a file cut inside its image data', good.subarray(0, idatAt + 12), 'it is cut short inside'],
    [
      'image data that is not zlib',
      pngWith(spec, rows).fill(7, idatAt + 8, idatAt + 14),
      'corrupt',
    ],
    [
      'image data that ends early',
      pngFile(ihdr(spec), chunk('IDAT', zlibSync(rows.subarray(0, 20))), chunk('IEND', [])),
      'its image data is cut short',
    ],
    [
      'a row with an unknown filter',
      pngWith(
        spec,
        rows.map((b, i) => (i === 13 ? 9 : b)),
      ),
      'unknown filter (9)',
    ],
    ['no image data', pngFile(ihdr(spec), chunk('IEND', [])), 'it has no image data'],
    ['no header', pngFile(chunk('IDAT', zlibSync(rows))), 'its png header is missing'],
    ['16-bit palette', pngWith({ ...spec, colorType: 3, depth: 16 }, rows), 'is not valid'],
    ['a palette picture with no palette', pngWith({ ...spec, colorType: 3 }, rows), 'no palette'],
    ['more pixels than allowed', bombPng(5000, 5000, 1), 'it is 5000x5000, more than'],
  ])('refuses %s', (_label, bytes, reason) => {
    expect(() => decodePng(bytes, LIMIT)).toThrow(Undecodable)
    expect(() => decodePng(bytes, LIMIT)).toThrow(reason)
  })
})

describe('any picture the demo is given', () => {
  const interlaced = { width: 13, height: 9, colorType: 6, depth: 8, interlaced: true } as const
  const palette = { width: 11, height: 7, colorType: 3, depth: 4 } as const
  const bases = [
    pngWith(
      interlaced,
      scanlines(
        interlaced,
        (x, y, c) => (x * 40 + y * 7 + c) & 255,
        (r) => r % 5,
      ),
    ),
    pngWith(
      palette,
      scanlines(
        palette,
        (x, y) => (x + y) % 16,
        () => 4,
      ),
      chunk(
        'PLTE',
        Array.from({ length: 48 }, (_, i) => i * 5),
      ),
    ),
    jpeg(24, 16),
  ]

  it('decodes to pixels or a reason, whatever is changed or cut, never an exception', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.option(fc.nat()),
        (base, edits, cut) => {
          const bytes = base.slice(0, cut === null ? base.length : cut % (base.length + 1))
          for (const [at, value] of edits) if (bytes.length) bytes[at % bytes.length] = value
          const decoded = decodePicture(bytes)
          if (typeof decoded !== 'string') {
            expect(decoded.pixels.length).toBe(decoded.width * decoded.height * 4)
          }
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('the bounded inflate', () => {
  const inflateAll = (data: Uint8Array, limit: number) => {
    let out = 0
    const inflate = new BoundedInflate(limit, (chunk) => {
      out += chunk.length
    })
    let error: unknown = null
    try {
      inflate.push(data)
      inflate.finish()
    } catch (caught) {
      error = caught
    }
    return { out, inflated: inflate.inflated, full: inflate.full, error }
  }

  const varied = new Uint8Array(300_000).map((_, i) => (i * 31) % 251)

  it('inflates exactly its budget; what follows the stream is not read', () => {
    expect(inflateAll(zlibSync(varied), varied.length)).toMatchObject({
      out: varied.length,
      full: true,
      error: null,
    })
    const junk = new Uint8Array(1 << 20).fill(0xff)
    const padded = new Uint8Array([...zlibSync(varied), ...junk])
    expect(inflateAll(padded, varied.length)).toMatchObject({ out: varied.length, error: null })
    // A stream that ends early is no error here (the decoder counts what came).
    const short = new Uint8Array([...zlibSync(new Uint8Array(10)), ...junk])
    expect(inflateAll(short, 5000)).toMatchObject({ out: 10, full: false, error: null })
  })

  it.each([1000, 3 << 20, 20 << 20])(
    'refuses output past a budget of %i bytes at the chunk that passes it, handing none of it on',
    (limit) => {
      const { out, inflated, error } = inflateAll(zerosZlib(256), limit)
      expect(error).toEqual(new InflateError('over-budget'))
      expect(out).toBeLessThanOrEqual(limit)
      expect(inflated).toBeLessThanOrEqual(limit + 64 * 1024)
    },
  )

  const withChecksum = zlibSync(varied)
  withChecksum[withChecksum.length - 1] = (withChecksum.at(-1) as number) ^ 1
  it.each([
    ['cut short', zlibSync(varied).subarray(0, 200), varied.length],
    ['not zlib', new Uint8Array(100).fill(0x41), 5000],
    ['with a wrong checksum', withChecksum, varied.length],
  ])('refuses data %s', (_label, data, limit) => {
    expect(inflateAll(data, limit).error).toEqual(new InflateError('corrupt'))
  })
})
