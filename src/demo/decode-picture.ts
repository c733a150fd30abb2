/**
 * The pictures the demo edits, decoded within a budget (a demo may hold one): dimensions judged
 * first, png through a bounded decoder, jpeg through jpeg-js with its resolution and memory caps.
 * Anything it cannot read is a reason to tell the client, never an exception.
 */
import { decode as decodeJpeg } from 'jpeg-js'
import { largestPixels, MODEL_IDS } from '../models'
import { ImageProbe } from '../stream/image-probe'
import { decodePng, type Rgba, Undecodable } from './png-decoder'

export type { Rgba }

/** The largest png the demo decodes: the largest any model makes (8.3 Mpx, 33 MB as RGBA). */
export const DEMO_MAX_INPUT_PIXELS = Math.max(...MODEL_IDS.map(largestPixels))

/**
 * The largest jpeg it decodes: 2 Mpx. jpeg-js holds about 22 bytes a pixel while decoding
 * (coefficient blocks 12, component lines 3, samples 3, RGBA 4), so this keeps one decode near
 * 44 MB of an isolate's 128 MB, where 8.3 Mpx would need 182 MB.
 */
export const DEMO_MAX_JPEG_PIXELS = 2 ** 21

/** The most pixels the demo decodes from a picture in `format`. */
export const demoMaxPixels = (format: string): number =>
  format === 'jpeg' ? DEMO_MAX_JPEG_PIXELS : DEMO_MAX_INPUT_PIXELS

/**
 * What jpeg-js may count while decoding: what a three-component jpeg of the largest size needs,
 * so more components, or a later frame larger than the first, are refused rather than allocated.
 */
const JPEG_MAX_MEMORY_MB = Math.ceil((DEMO_MAX_JPEG_PIXELS * 22) / 2 ** 20)

/** The picture's pixels as RGBA, or why the demo cannot read it. */
export function decodePicture(bytes: Uint8Array): Rgba | string {
  const probe = new ImageProbe()
  probe.push(bytes)
  probe.end()
  const found = probe.result
  if (typeof found === 'string' || !found) return `it is not a picture: ${found}`
  const limit = demoMaxPixels(found.format)
  if (found.width * found.height > limit) {
    return `the demo generator reads ${found.format} pictures of up to ${limit} pixels`
  }
  if (found.format === 'png') return readable(() => decodePng(bytes, DEMO_MAX_INPUT_PIXELS))
  if (found.format === 'jpeg') return readable(() => jpegPixels(bytes))
  return 'the demo generator reads png and jpeg pictures only'
}

function jpegPixels(bytes: Uint8Array): Rgba {
  try {
    const { width, height, data } = decodeJpeg(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: DEMO_MAX_JPEG_PIXELS / 1e6,
      maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB,
    })
    return { width, height, pixels: data }
  } catch (error) {
    // jpeg-js throws plain errors; its limits say "… limit exceeded …".
    const limit = error instanceof Error && error.message.includes('limit exceeded')
    throw new Undecodable(
      limit
        ? 'it needs more memory to decode than the demo gives a picture'
        : 'its jpeg data is corrupt',
    )
  }
}

function readable(decode: () => Rgba): Rgba | string {
  try {
    return decode()
  } catch (error) {
    if (error instanceof Undecodable) return error.message
    throw error
  }
}
