/**
 * A PNG's pixels within a budget: IHDR is judged before anything inflates, and the image data
 * inflates to exactly the bytes IHDR implies, row by row. Hand-written: fast-png takes no limit.
 */
import { BoundedInflate, InflateError } from './bounded-inflate'
import { CHANNELS, type PngColours, type PngHeader, PngRows, Undecodable } from './png-pixels'

export { Undecodable }

/** An RGBA picture. */
export interface Rgba {
  width: number
  height: number
  pixels: Uint8Array
}

/** Bit depths each colour type allows (PNG 11.2.2). */
const DEPTHS: Partial<Record<number, number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
}
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

const u16 = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number)
const u32 = (b: Uint8Array, at: number) => u16(b, at) * 65536 + u16(b, at + 2)

function readHeader(data: Uint8Array, maxPixels: number): PngHeader {
  if (data.length !== 13) throw new Undecodable('its png header is broken')
  const header = {
    width: u32(data, 0),
    height: u32(data, 4),
    depth: data[8] as number,
    colorType: data[9] as number,
    interlaced: data[12] === 1,
  }
  const { width, height, depth, colorType } = header
  if (!DEPTHS[colorType]?.includes(depth)) {
    throw new Undecodable(`its png colour type ${colorType} at bit depth ${depth} is not valid`)
  }
  if (data[10] !== 0 || data[11] !== 0 || (data[12] as number) > 1) {
    throw new Undecodable('it uses a compression, filter or interlace method png does not have')
  }
  if (width === 0 || height === 0) throw new Undecodable('it has no pixels')
  if (width * height > maxPixels) {
    throw new Undecodable(`it is ${width}x${height}, more than ${maxPixels} pixels`)
  }
  return header
}

/** PLTE and tRNS into the colours the rows are painted with. */
function readColours(chunk: string, data: Uint8Array, header: PngHeader, into: PngColours) {
  if (chunk === 'PLTE') {
    if (data.length % 3 !== 0 || data.length > 768) throw new Undecodable('its palette is broken')
    for (let i = 0; i < data.length / 3; i++)
      into.palette.set(data.subarray(3 * i, 3 * i + 3), 4 * i)
  } else if (header.colorType === 3) {
    for (let i = 0; i < Math.min(data.length, 256); i++) into.palette[4 * i + 3] = data[i] as number
  } else if (header.colorType === 0 || header.colorType === 2) {
    const samples = CHANNELS[header.colorType] as number
    if (data.length >= 2 * samples) {
      into.key = Array.from({ length: samples }, (_, i) => u16(data, 2 * i))
    }
  }
}

/**
 * The picture's pixels as RGBA. Throws Undecodable when it is not a whole png of at most
 * `maxPixels`, or when its image data inflates to more (or less) than its header implies.
 */
export function decodePng(bytes: Uint8Array, maxPixels: number): Rgba {
  if (SIGNATURE.some((byte, i) => bytes[i] !== byte))
    throw new Undecodable('its png signature is broken')
  let header: PngHeader | null = null
  const colours: PngColours = { palette: opaqueBlack(), key: null }
  let hasPalette = false
  let rows: PngRows | null = null
  let inflate: BoundedInflate | null = null
  try {
    for (let at = 8; at + 8 <= bytes.length; ) {
      const length = u32(bytes, at)
      const chunk = String.fromCharCode(...bytes.subarray(at + 4, at + 8))
      if (at + 12 + length > bytes.length) throw new Undecodable('it is cut short inside a chunk')
      const data = bytes.subarray(at + 8, at + 8 + length)
      at += 12 + length
      if (!header) {
        if (chunk !== 'IHDR') throw new Undecodable('its png header is missing')
        header = readHeader(data, maxPixels)
      } else if (chunk === 'IEND') break
      else if (chunk === 'IDAT') {
        if (!rows) {
          if (header.colorType === 3 && !hasPalette) throw new Undecodable('it has no palette')
          const made = new PngRows(header, colours)
          inflate = new BoundedInflate(made.bytes, (out) => made.write(out))
          rows = made
        }
        inflate?.push(data)
      } else if (!rows && (chunk === 'PLTE' || chunk === 'tRNS')) {
        readColours(chunk, data, header, colours)
        hasPalette ||= chunk === 'PLTE'
      }
    }
    if (!header) throw new Undecodable('its png header is missing')
    if (!rows || !inflate) throw new Undecodable('it has no image data')
    inflate.finish()
    if (!rows.done) throw new Undecodable('its image data is cut short')
    return { width: header.width, height: header.height, pixels: rows.pixels }
  } catch (error) {
    if (!(error instanceof InflateError)) throw error
    throw new Undecodable(
      error.reason === 'over-budget'
        ? `its image data inflates past the ${inflate?.limit} bytes its header implies`
        : 'its image data is corrupt',
    )
  }
}

function opaqueBlack(): Uint8Array {
  const palette = new Uint8Array(256 * 4)
  for (let i = 3; i < palette.length; i += 4) palette[i] = 255
  return palette
}
