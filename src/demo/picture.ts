/**
 * The demo generator's painter: a procedural landscape whose palette and shapes come from a seed, so
 * one prompt always gives one picture. Hand-written: it is the product's own look.
 */

export interface PictureSpec {
  width: number
  height: number
  /** 32-bit seed; the same seed always paints the same picture. */
  seed: number
  /** 3 = RGB, 4 = RGBA (the sky is fully transparent when `transparent`). */
  channels: 3 | 4
  transparent: boolean
  /** Paint in square blocks of this many pixels (1 = full detail). */
  block: number
}

export type Rgb = [number, number, number]

/** FNV-1a over UTF-16 code units: a stable 32-bit seed from text. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** mulberry32: a small, fast, seedable PRNG. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A colour from hue (degrees), saturation and lightness (0–1), as RGB 0–255. */
export function hsl(h: number, s: number, l: number): Rgb {
  const k = (n: number) => (n + h / 30) % 12
  const a = s * Math.min(l, 1 - l)
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))
  return [f(0) * 255, f(8) * 255, f(4) * 255]
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

/** Smooth 1D value noise in [0, 1] over a seeded lattice, several octaves. */
function ridgeProfile(rand: () => number, samples: number, roughness: number): Float32Array {
  const lattice = Array.from({ length: 65 }, rand)
  const profile = new Float32Array(samples)
  for (let x = 0; x < samples; x++) {
    let value = 0
    let amplitude = 0.5
    let frequency = 2 + roughness * 3
    for (let octave = 0; octave < 4; octave++) {
      const p = (x / samples) * frequency + octave * 7.3
      const i = Math.floor(p)
      const f = p - i
      const s = f * f * (3 - 2 * f)
      const a = lattice[i % 64] as number
      const b = lattice[(i + 1) % 64] as number
      value += (a + (b - a) * s) * amplitude
      amplitude *= 0.5
      frequency *= 2.1
    }
    profile[x] = value
  }
  return profile
}

interface Scene {
  skyTop: Rgb
  skyHorizon: Rgb
  sun: { x: number; y: number; radius: number; color: Rgb }
  layers: { top: Float32Array; color: Rgb }[]
}

function composeScene(spec: PictureSpec): Scene {
  const rand = random(spec.seed)
  // Palettes stay within what real skies do: deep blue-violet over a warm horizon at dusk,
  // clear blue over a pale horizon by day; the sun is always warm.
  const dusk = rand() < 0.5
  const skyTop = dusk ? hsl(230 + rand() * 60, 0.5, 0.18) : hsl(200 + rand() * 25, 0.6, 0.42)
  const skyHorizon = dusk ? hsl(10 + rand() * 35, 0.8, 0.66) : hsl(185 + rand() * 25, 0.55, 0.86)
  const sunColor = dusk ? hsl(30 + rand() * 20, 0.95, 0.74) : hsl(48 + rand() * 10, 1, 0.94)
  const minSide = Math.min(spec.width, spec.height)
  const sun = {
    x: spec.width * (0.2 + rand() * 0.6),
    y: spec.height * (0.18 + rand() * 0.25),
    radius: minSide * (0.06 + rand() * 0.05),
    color: sunColor,
  }
  const ridgeHue = rand() < 0.6 ? 200 + rand() * 80 : 90 + rand() * 70
  const layers = [0, 1, 2, 3].map((depth) => {
    const profile = ridgeProfile(rand, spec.width, depth / 3)
    const base = 0.42 + depth * 0.13
    const relief = 0.28 - depth * 0.04
    const top = profile.map((v) => spec.height * (base - relief * v))
    // Far ridges melt into the horizon haze; near ones are dark and saturated.
    const color = mix(hsl(ridgeHue, 0.35, 0.12 + depth * 0.02), skyHorizon, 0.75 - depth * 0.22)
    return { top, color }
  })
  return { skyTop, skyHorizon, sun, layers: layers.reverse() }
}

/**
 * Paints the picture into a new pixel buffer of width × height × channels bytes: a sky gradient,
 * a sun with its glow, layered ridges fading into haze. `block` > 1 paints a coarse preview of
 * the same picture, used for partial images.
 */
export function paintPicture(spec: PictureSpec): Uint8Array {
  const { width, height, channels, block } = spec
  const scene = composeScene(spec)
  const pixels = new Uint8Array(width * height * channels)
  for (let by = 0; by < height; by += block) {
    for (let bx = 0; bx < width; bx += block) {
      const sx = Math.min(width - 1, bx + (block >> 1))
      const sy = Math.min(height - 1, by + (block >> 1))
      const [r, g, b, a] = shade(scene, spec, sx, sy)
      for (let y = by; y < Math.min(by + block, height); y++) {
        let offset = (y * width + bx) * channels
        for (let x = bx; x < Math.min(bx + block, width); x++) {
          pixels[offset] = r
          pixels[offset + 1] = g
          pixels[offset + 2] = b
          if (channels === 4) pixels[offset + 3] = a
          offset += channels
        }
      }
    }
  }
  return pixels
}

function shade(
  scene: Scene,
  spec: PictureSpec,
  x: number,
  y: number,
): [number, number, number, number] {
  for (const layer of scene.layers) {
    const top = layer.top[x] as number
    if (y >= top) {
      // Slightly lighter along the crest, darker toward the valley floor.
      const depthInto = Math.min(1, (y - top) / (spec.height * 0.25))
      const c = mix(layer.color, [0, 0, 0], depthInto * 0.25)
      return [c[0], c[1], c[2], 255]
    }
  }
  const { sun } = scene
  const distance = Math.hypot(x - sun.x, y - sun.y)
  if (spec.transparent) {
    if (distance <= sun.radius) return [sun.color[0], sun.color[1], sun.color[2], 255]
    return [0, 0, 0, 0]
  }
  const sky = mix(scene.skyTop, scene.skyHorizon, Math.min(1, y / (spec.height * 0.7)))
  if (distance <= sun.radius) return [sun.color[0], sun.color[1], sun.color[2], 255]
  const glow = Math.max(0, 1 - (distance - sun.radius) / (sun.radius * 5))
  const c = mix(sky, sun.color, glow * glow * 0.6)
  return [c[0], c[1], c[2], 255]
}
