/**
 * A PNG's rows as they inflate: unfiltered one at a time (each pass of an interlaced picture on
 * its own) and painted into an RGBA picture, so only two rows of filtered data are ever held.
 * Follows the PNG specification's sections on filtering, interlacing and sample depths.
 */

/** A picture the demo cannot read, and why ("its …", "it …"). */
export class Undecodable extends Error {}

/** What IHDR says. */
export interface PngHeader {
  width: number
  height: number
  depth: number
  colorType: number
  interlaced: boolean
}

/** What colours a sample stands for: PLTE and tRNS. */
export interface PngColours {
  /** 256 RGBA entries; opaque black where PLTE says nothing. */
  palette: Uint8Array
  /** tRNS of a grey or RGB picture: the raw sample values that are transparent. */
  key: number[] | null
}

/** Samples per pixel of each colour type (PNG 11.2.2). */
export const CHANNELS: Partial<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

/** Adam7's passes as [x0, y0, dx, dy] (PNG 8.2); a plain picture is one pass. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const
const PLAIN = [[0, 0, 1, 1]] as const

interface Pass {
  x0: number
  y0: number
  dx: number
  dy: number
  columns: number
  rows: number
  rowBytes: number
}

/** Writes an unfiltered row's `columns` pixels as RGBA, the first at `out[at]`, then `stride` on. */
type Painter = (row: Uint8Array, columns: number, at: number, stride: number) => void

export class PngRows {
  /** The inflated bytes the picture has: each row of each pass, with its filter byte. */
  readonly bytes: number
  readonly pixels: Uint8Array
  private readonly passes: Pass[]
  private readonly paint: Painter
  private readonly bpp: number
  private line: Uint8Array
  private prior: Uint8Array
  private pass = 0
  private row = 0
  private filled = 0

  constructor(
    private readonly header: PngHeader,
    colours: PngColours,
  ) {
    const bits = header.depth * (CHANNELS[header.colorType] ?? 1)
    this.bpp = Math.max(1, bits >> 3)
    this.passes = (header.interlaced ? ADAM7 : PLAIN)
      .map(([x0, y0, dx, dy]) => {
        const columns = Math.max(0, Math.ceil((header.width - x0) / dx))
        const rows = Math.max(0, Math.ceil((header.height - y0) / dy))
        return { x0, y0, dx, dy, columns, rows, rowBytes: Math.ceil((columns * bits) / 8) }
      })
      .filter((pass) => pass.columns > 0 && pass.rows > 0)
    this.bytes = this.passes.reduce((sum, pass) => sum + pass.rows * (1 + pass.rowBytes), 0)
    const longest = Math.max(...this.passes.map((pass) => pass.rowBytes))
    this.line = new Uint8Array(1 + longest)
    this.prior = new Uint8Array(1 + longest)
    this.pixels = new Uint8Array(header.width * header.height * 4)
    this.paint = painter(header, colours, this.pixels)
  }

  /** Whether every row has come. */
  get done(): boolean {
    return this.pass === this.passes.length
  }

  /** Takes the next inflated bytes (never more than `bytes` in all). */
  write(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; ) {
      const pass = this.passes[this.pass]
      if (!pass) return
      const n = Math.min(1 + pass.rowBytes - this.filled, chunk.length - at)
      this.line.set(chunk.subarray(at, at + n), this.filled)
      this.filled += n
      at += n
      if (this.filled === 1 + pass.rowBytes) this.endRow(pass)
    }
  }

  private endRow(pass: Pass): void {
    const size = 1 + pass.rowBytes
    const row = this.line.subarray(1, size)
    unfilter(this.line[0] as number, row, this.prior.subarray(1, size), this.bpp)
    const y = pass.y0 + this.row * pass.dy
    this.paint(row, pass.columns, (y * this.header.width + pass.x0) * 4, pass.dx * 4)
    ;[this.line, this.prior] = [this.prior, this.line]
    this.filled = 0
    if (++this.row < pass.rows) return
    this.row = 0
    this.pass++
    this.prior.fill(0)
  }
}

/** Undoes a row's filter in place; `up` is the row before, unfiltered (zeros for the first). */
function unfilter(type: number, row: Uint8Array, up: Uint8Array, bpp: number): void {
  const n = row.length
  const byte = (bytes: Uint8Array, i: number) => bytes[i] as number
  switch (type) {
    case 0:
      return
    case 1:
      for (let i = bpp; i < n; i++) row[i] = byte(row, i) + byte(row, i - bpp)
      return
    case 2:
      for (let i = 0; i < n; i++) row[i] = byte(row, i) + byte(up, i)
      return
    case 3:
      for (let i = 0; i < bpp; i++) row[i] = byte(row, i) + (byte(up, i) >> 1)
      for (let i = bpp; i < n; i++) {
        row[i] = byte(row, i) + ((byte(row, i - bpp) + byte(up, i)) >> 1)
      }
      return
    case 4:
      for (let i = 0; i < bpp; i++) row[i] = byte(row, i) + byte(up, i)
      for (let i = bpp; i < n; i++) {
        row[i] = byte(row, i) + paeth(byte(row, i - bpp), byte(up, i), byte(up, i - bpp))
      }
      return
    default:
      throw new Undecodable(`its rows use an unknown filter (${type})`)
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

/** How each colour type's samples become RGBA (16-bit samples keep their high byte). */
function painter(header: PngHeader, { palette, key }: PngColours, out: Uint8Array): Painter {
  const { depth } = header
  /** Bytes a sample takes (depths under 8 are packed, see `packed`). */
  const step = depth === 16 ? 2 : 1
  const byte = (row: Uint8Array, i: number) => row[i] as number
  /** Sample `s` of a row at its full depth (8 or 16), for comparing with tRNS. */
  const raw = (row: Uint8Array, s: number) =>
    step === 2 ? (byte(row, 2 * s) << 8) | byte(row, 2 * s + 1) : byte(row, s)
  /** Sample `i` of a row of 1-, 2-, 4- or 8-bit samples. */
  const packed = (row: Uint8Array, i: number) => {
    if (depth >= 8) return byte(row, i)
    const bit = i * depth
    return (byte(row, bit >> 3) >> (8 - depth - (bit & 7))) & ((1 << depth) - 1)
  }
  switch (header.colorType) {
    case 0: {
      const scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1
      return (row, columns, at, stride) => {
        for (let i = 0, o = at; i < columns; i++, o += stride) {
          const v = depth === 16 ? raw(row, i) : packed(row, i)
          out.fill(depth === 16 ? v >> 8 : v * scale, o, o + 3)
          out[o + 3] = key && v === key[0] ? 0 : 255
        }
      }
    }
    case 3:
      return (row, columns, at, stride) => {
        for (let i = 0, o = at; i < columns; i++, o += stride) {
          const p = packed(row, i) * 4
          out.set(palette.subarray(p, p + 4), o)
        }
      }
    case 4:
      return (row, columns, at, stride) => {
        for (let i = 0, s = 0, o = at; i < columns; i++, s += 2 * step, o += stride) {
          out.fill(byte(row, s), o, o + 3)
          out[o + 3] = byte(row, s + step)
        }
      }
    case 2:
      return (row, columns, at, stride) => {
        for (let i = 0, s = 0, o = at; i < columns; i++, s += 3 * step, o += stride) {
          out[o] = byte(row, s)
          out[o + 1] = byte(row, s + step)
          out[o + 2] = byte(row, s + 2 * step)
          const clear =
            key && raw(row, 3 * i) === key[0] && raw(row, 3 * i + 1) === key[1]
              ? raw(row, 3 * i + 2) === key[2]
              : false
          out[o + 3] = clear ? 0 : 255
        }
      }
    default:
      return (row, columns, at, stride) => {
        for (let i = 0, s = 0, o = at; i < columns; i++, s += 4 * step, o += stride) {
          out[o] = byte(row, s)
          out[o + 1] = byte(row, s + step)
          out[o + 2] = byte(row, s + 2 * step)
          out[o + 3] = byte(row, s + 3 * step)
        }
      }
  }
}
