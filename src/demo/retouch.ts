/**
 * The demo's editing: the prompt's palette laid over the first picture, the mask's transparent
 * region repainted with the demo's landscape. Hand-written: it is the demo's own look.
 */
import type { Rgba } from './decode-picture'
import { hsl, mix, paintPicture, type Rgb } from './picture'

export interface RetouchSpec {
  width: number
  height: number
  /** Picks the palette and the landscape; one prompt always gives one picture. */
  seed: number
  block: number
  transparent: boolean
}

/** The retouched picture, RGBA, at the output size. */
export function retouch(source: Rgba, mask: Rgba | null, spec: RetouchSpec): Uint8Array {
  const { width, height, block } = spec
  const dark = hsl(spec.seed % 360, 0.65, 0.16)
  const light = hsl((spec.seed >>> 9) % 360, 0.75, 0.86)
  const landscape = mask
    ? paintPicture({
        width,
        height,
        seed: spec.seed,
        channels: 4,
        transparent: spec.transparent,
        block,
      })
    : null
  const out = new Uint8Array(width * height * 4)
  const color = new Uint8Array(4)
  for (let by = 0; by < height; by += block) {
    for (let bx = 0; bx < width; bx += block) {
      const x = Math.min(width - 1, bx + (block >> 1))
      const y = Math.min(height - 1, by + (block >> 1))
      const u = x / width
      const v = y / height
      if (mask && landscape && mask.pixels[nearest(mask, u, v) + 3] === 0) {
        color.set(landscape.subarray((y * width + x) * 4, (y * width + x) * 4 + 4))
      } else {
        tint(source.pixels, nearest(source, u, v), dark, light, color)
      }
      if (!spec.transparent) color[3] = 255
      for (let py = by; py < Math.min(by + block, height); py++) {
        for (let px = bx; px < Math.min(bx + block, width); px++)
          out.set(color, (py * width + px) * 4)
      }
    }
  }
  return out
}

/** The source's colour at `at` under the palette (a duotone by its lightness, mixed in). */
function tint(pixels: Uint8Array, at: number, dark: Rgb, light: Rgb, into: Uint8Array): void {
  const r = pixels[at] as number
  const g = pixels[at + 1] as number
  const b = pixels[at + 2] as number
  const duo = mix(dark, light, (0.299 * r + 0.587 * g + 0.114 * b) / 255)
  const tinted = mix([r, g, b], duo, 0.6)
  into[0] = tinted[0]
  into[1] = tinted[1]
  into[2] = tinted[2]
  into[3] = pixels[at + 3] as number
}

/** Where the picture's pixel nearest to (u, v), each in [0, 1), starts. */
function nearest(picture: Rgba, u: number, v: number): number {
  const x = Math.min(picture.width - 1, Math.floor(u * picture.width))
  const y = Math.min(picture.height - 1, Math.floor(v * picture.height))
  return (y * picture.width + x) * 4
}
