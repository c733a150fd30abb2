/**
 * An uploaded picture's type, size and alpha from its header as it streams by (PNG IHDR/tRNS, JPEG
 * SOFn, WebP VP8/VP8L/VP8X), skipping the rest. Hand-written: image libraries decode whole buffers;
 * these few fields are fixed by each format's specification.
 */
import type { ImageExt } from '../result/result'

export interface ProbeResult {
  format: ImageExt
  width: number
  height: number
  /** Whether the picture can have transparent pixels (an alpha channel or a tRNS chunk). */
  alpha: boolean
}

/** Read the next `read` bytes, or pass over the next `skip` bytes. */
type Step = { read: number } | { skip: number }
type Steps<T> = Generator<Step, T, Uint8Array | undefined>

class NotAnImage extends Error {}

function* read(count: number): Steps<Uint8Array> {
  return (yield { read: count }) as Uint8Array
}

const u16be = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number)
const u16le = (b: Uint8Array, at: number) => (b[at] as number) | ((b[at + 1] as number) << 8)
const u24le = (b: Uint8Array, at: number) => u16le(b, at) | ((b[at + 2] as number) << 16)
const u32be = (b: Uint8Array, at: number) => u16be(b, at) * 65536 + u16be(b, at + 2)
const u32le = (b: Uint8Array, at: number) => u16le(b, at) + u16le(b, at + 2) * 65536
const ascii = (b: Uint8Array) => String.fromCharCode(...b)

function* sniff(): Steps<ProbeResult> {
  const start = yield* read(2)
  if (start[0] === 0xff && start[1] === 0xd8) return yield* jpeg()
  if (start[0] === 0x89 && start[1] === 0x50) return yield* png()
  if (ascii(start) === 'RI') return yield* webp()
  throw new NotAnImage('it is not a png, jpeg or webp file')
}

function* png(): Steps<ProbeResult> {
  const rest = yield* read(6)
  if (ascii(rest) !== 'NG\r\n\x1a\n') throw new NotAnImage('its png signature is broken')
  const ihdr = yield* read(25)
  if (ascii(ihdr.subarray(4, 8)) !== 'IHDR') throw new NotAnImage('its png header is missing')
  const width = u32be(ihdr, 8)
  const height = u32be(ihdr, 12)
  const colorType = ihdr[17] as number
  if (colorType === 4 || colorType === 6) return { format: 'png', width, height, alpha: true }
  // Grey, RGB and palette pictures are transparent only through a tRNS chunk before the data.
  for (;;) {
    const head = yield* read(8)
    const type = ascii(head.subarray(4, 8))
    if (type === 'tRNS') return { format: 'png', width, height, alpha: true }
    if (type === 'IDAT' || type === 'IEND') return { format: 'png', width, height, alpha: false }
    yield { skip: u32be(head, 0) + 4 }
  }
}

/** Start-of-frame markers (SOF0–SOF15 except DHT, JPG and DAC), which carry the dimensions. */
const isFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc

function* jpeg(): Steps<ProbeResult> {
  for (;;) {
    let [byte] = yield* read(1)
    if (byte !== 0xff) throw new NotAnImage('its jpeg segments are broken')
    while (byte === 0xff) [byte] = yield* read(1) // fill bytes
    const marker = byte as number
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue
    if (marker === 0xd9 || marker === 0xda) throw new NotAnImage('its jpeg has no frame header')
    const length = u16be(yield* read(2), 0)
    if (length < 2) throw new NotAnImage('its jpeg segments are broken')
    if (isFrame(marker)) {
      const frame = yield* read(5)
      return { format: 'jpeg', width: u16be(frame, 3), height: u16be(frame, 1), alpha: false }
    }
    yield { skip: length - 2 }
  }
}

function* webp(): Steps<ProbeResult> {
  const riff = yield* read(10)
  if (ascii(riff.subarray(0, 2)) !== 'FF' || ascii(riff.subarray(6, 10)) !== 'WEBP') {
    throw new NotAnImage('it is not a png, jpeg or webp file')
  }
  const chunk = ascii(yield* read(8)).slice(0, 4)
  if (chunk === 'VP8 ') {
    const frame = yield* read(10)
    if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) {
      throw new NotAnImage('its webp frame is broken')
    }
    const size = { width: u16le(frame, 6) & 0x3fff, height: u16le(frame, 8) & 0x3fff }
    return { format: 'webp', ...size, alpha: false }
  }
  if (chunk === 'VP8L') {
    const head = yield* read(5)
    if (head[0] !== 0x2f) throw new NotAnImage('its webp frame is broken')
    const bits = u32le(head, 1)
    const width = (bits & 0x3fff) + 1
    const height = (Math.floor(bits / 16384) & 0x3fff) + 1
    return { format: 'webp', width, height, alpha: (Math.floor(bits / 2 ** 28) & 1) === 1 }
  }
  if (chunk === 'VP8X') {
    const head = yield* read(10)
    const alpha = ((head[0] as number) & 0x10) !== 0
    return { format: 'webp', width: u24le(head, 4) + 1, height: u24le(head, 7) + 1, alpha }
  }
  throw new NotAnImage('its webp has no frame')
}

/** Bytes of the largest single read above. */
const MAX_READ = 25

/** Feeds bytes to the format readers until they know the answer (or that there is none). */
export class ImageProbe {
  private readonly steps = sniff()
  private step: Step = { read: 0 }
  private readonly buffer = new Uint8Array(MAX_READ)
  private have = 0
  private outcome: ProbeResult | string | null = null

  constructor() {
    this.advance(undefined)
  }

  /** The picture, or why it is not one; null while the header is still streaming in. */
  get result(): ProbeResult | string | null {
    return this.outcome
  }

  push(chunk: Uint8Array): void {
    let at = 0
    while (this.outcome === null && at < chunk.length) {
      const step = this.step
      if ('skip' in step) {
        const n = Math.min(step.skip, chunk.length - at)
        step.skip -= n
        at += n
        if (step.skip === 0) this.advance(undefined)
        continue
      }
      const n = Math.min(step.read - this.have, chunk.length - at)
      this.buffer.set(chunk.subarray(at, at + n), this.have)
      this.have += n
      at += n
      if (this.have === step.read) {
        this.have = 0
        this.advance(this.buffer.slice(0, step.read))
      }
    }
  }

  /** The file ended. */
  end(): void {
    this.outcome ??= 'it ends before its header does'
  }

  private advance(bytes: Uint8Array | undefined): void {
    try {
      for (let next = this.steps.next(bytes); ; next = this.steps.next(undefined)) {
        if (next.done) {
          const found = next.value
          this.outcome = found.width > 0 && found.height > 0 ? found : 'it has no pixels'
          return
        }
        this.step = { ...next.value }
        if (!('skip' in this.step) || this.step.skip > 0) return
      }
    } catch (error) {
      if (!(error instanceof NotAnImage)) throw error
      this.outcome = error.message
    }
  }
}
