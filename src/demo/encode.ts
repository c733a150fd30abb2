/**
 * Encodes the demo's pixels with maintained pure-JS encoders that run in Workers: fast-png
 * (image-js, deflate via fflate) and jpeg-js. WebP has no such encoder, so the demo refuses it
 * rather than sending bytes under the wrong label.
 */
import { encode as encodePng } from 'fast-png'
import { encode as encodeJpeg } from 'jpeg-js'

/** Output formats the demo can really encode. */
export const DEMO_FORMATS = ['png', 'jpeg'] as const
export type DemoFormat = (typeof DEMO_FORMATS)[number]

export function isDemoFormat(format: string): format is DemoFormat {
  return (DEMO_FORMATS as readonly string[]).includes(format)
}

export interface RasterImage {
  width: number
  height: number
  channels: 3 | 4
  pixels: Uint8Array
}

/**
 * Encodes an image. JPEG needs RGBA input (jpeg-js ignores alpha); `quality` is 0–100,
 * from the request's output_compression.
 */
export function encodeImage(image: RasterImage, format: DemoFormat, quality: number): Uint8Array {
  if (format === 'png') {
    return encodePng({
      width: image.width,
      height: image.height,
      data: image.pixels,
      channels: image.channels,
      depth: 8,
    })
  }
  if (image.channels !== 4) throw new Error('JPEG encoding needs RGBA pixels')
  const { data } = encodeJpeg(
    { width: image.width, height: image.height, data: image.pixels },
    Math.max(1, quality),
  )
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
