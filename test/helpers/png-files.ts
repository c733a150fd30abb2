/**
 * PNG files made byte by byte for decoder tests: any colour type, bit depth, filter and
 * interlacing from known samples, and bombs (a small file whose image data inflates to MiBs of
 * zeros, made from one compressed MiB repeated so a test never holds what it claims).
 */
import { Deflate, zlibSync } from 'fflate'
import { concat } from '../../src/stream/bytes'

export interface PngSpec {
  width: number
  height: number
  colorType: 0 | 2 | 3 | 4 | 6
  depth: 1 | 2 | 4 | 8 | 16
  interlaced?: boolean
}

export const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const

/** Adam7 as the specification draws it: the pass (1–7) each pixel of an 8×8 tile is sent in. */
const ADAM7_TILE = [
  '16462646',
  '77777777',
  '56565656',
  '77777777',
  '36463646',
  '77777777',
  '56565656',
  '77777777',
]

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** The columns and rows of each pass that has pixels; a plain picture is one pass. */
function passes({ width, height, interlaced }: PngSpec): { xs: number[]; ys: number[] }[] {
  if (!interlaced) return [{ xs: range(width), ys: range(height) }]
  return range(7)
    .map((i) => {
      const pass = String(i + 1)
      const ys = range(height).filter((y) => ADAM7_TILE[y % 8]?.includes(pass))
      const tile = ADAM7_TILE[(ys[0] ?? 0) % 8] as string
      return { xs: range(width).filter((x) => tile[x % 8] === pass), ys }
    })
    .filter(({ xs, ys }) => xs.length > 0 && ys.length > 0)
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
const ascii = (text: string) => Array.from(text, (ch) => ch.charCodeAt(0))

/** One chunk: length, type, data, CRC. */
export function chunk(type: string, data: Uint8Array | number[]): Uint8Array {
  const body = new Uint8Array([...ascii(type), ...data])
  return new Uint8Array([...u32(body.length - 4), ...body, ...u32(crc32(body))])
}

export function ihdr(spec: PngSpec): Uint8Array {
  const { width, height, depth, colorType, interlaced } = spec
  return chunk('IHDR', [...u32(width), ...u32(height), depth, colorType, 0, 0, interlaced ? 1 : 0])
}

/** The signature, then the chunks. */
export const pngFile = (...chunks: Uint8Array[]) =>
  concat([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks])

/**
 * The filtered scanlines of a picture whose sample `c` of pixel (x, y) is `sample(x, y, c)`, each
 * row filtered with `filter(row)` (0–4), pass after pass when interlaced.
 */
export function scanlines(
  spec: PngSpec,
  sample: (x: number, y: number, c: number) => number,
  filter: (row: number) => number,
): Uint8Array {
  const channels = CHANNELS[spec.colorType]
  const bits = channels * spec.depth
  const bpp = Math.max(1, bits >> 3)
  const out: number[] = []
  let rowIndex = 0
  for (const { xs, ys } of passes(spec)) {
    let prior = new Uint8Array(Math.ceil((xs.length * bits) / 8))
    for (const y of ys) {
      const raw = new Uint8Array(prior.length)
      for (const [i, x] of xs.entries()) {
        for (let c = 0; c < channels; c++) {
          const value = sample(x, y, c)
          const bit = (i * channels + c) * spec.depth
          if (spec.depth === 16) raw.set([value >> 8, value & 255], bit >> 3)
          else raw[bit >> 3] = (raw[bit >> 3] as number) | (value << (8 - spec.depth - (bit & 7)))
        }
      }
      const type = filter(rowIndex++)
      out.push(type, ...filtered(type, raw, prior, bpp))
      prior = raw
    }
  }
  return new Uint8Array(out)
}

function filtered(type: number, raw: Uint8Array, up: Uint8Array, bpp: number): number[] {
  return Array.from(raw, (byte, i) => {
    const a = i >= bpp ? (raw[i - bpp] as number) : 0
    const b = up[i] as number
    const c = i >= bpp ? (up[i - bpp] as number) : 0
    const p = a + b - c
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)]
    const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
    const predict = [0, a, b, (a + b) >> 1, paeth][type] as number
    return (byte - predict) & 255
  })
}

/** A whole png of `spec` whose image data is `data` (scanlines) deflated, with extra chunks. */
export function pngWith(spec: PngSpec, data: Uint8Array, ...extra: Uint8Array[]): Uint8Array {
  return pngFile(ihdr(spec), ...extra, chunk('IDAT', zlibSync(data)), chunk('IEND', []))
}

/**
 * A zlib stream of `mib` MiB of zeros: one MiB deflated up to a byte boundary (a sync flush),
 * repeated (every copy only refers back to zeros), then an empty final block and the checksum.
 */
export function zerosZlib(mib: number): Uint8Array {
  const pieces: Uint8Array[] = []
  const deflate = new Deflate({ level: 9 }, (piece) => pieces.push(piece))
  deflate.push(new Uint8Array(1 << 20))
  deflate.flush(true)
  const mebibyte = concat(pieces.map((piece) => piece.slice()))
  const adler = (((mib * 2 ** 20) % 65521) * 65536 + 1) >>> 0
  return concat([
    new Uint8Array([0x78, 0xda]),
    ...Array.from({ length: mib }, () => mebibyte),
    new Uint8Array([0x03, 0x00, ...u32(adler)]),
  ])
}

/** A png of `width`×`height` RGBA whose image data inflates to `mib` MiB: a decompression bomb. */
export function bombPng(width: number, height: number, mib: number): Uint8Array {
  const spec = { width, height, colorType: 6, depth: 8 } as const
  const idat = zerosZlib(mib)
  // Chunks of at most 64 KiB, as encoders write them.
  const chunks: Uint8Array[] = []
  for (let at = 0; at < idat.length; at += 65536)
    chunks.push(chunk('IDAT', idat.subarray(at, at + 65536)))
  return pngFile(ihdr(spec), ...chunks, chunk('IEND', []))
}
