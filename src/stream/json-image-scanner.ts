/**
 * Finds the `"b64_json"` strings in Images API JSON as it streams by: each image's base64 reaches
 * the sink as ranges of the chunks, never one string. Hand-written: streaming JSON libraries step
 * through every character and hand values over as strings.
 */
import { concat } from './bytes'
import type { ChunkText } from './chunk-text'
import { MalformedBodyError } from './malformed'

export interface Base64Sink {
  /** An image's base64 starts at `chunk[at]` (just after its opening quote). */
  imageBegin(chunk: Uint8Array, at: number): void
  /** Base64 text `chunk[from, to)` of the current image, exactly as sent (a `\/` stays as is). */
  base64(chunk: Uint8Array, from: number, to: number): void
  /** The image's closing quote is `chunk[at]`. */
  imageEnd(chunk: Uint8Array, at: number): void
}

const QUOTE = 0x22
const encoder = new TextEncoder()
/** Whitespace allowed around the colon before a key no longer counts as ours. */
const MAX_GAP = 32

type Match = { end: number } | 'partial' | 'none'

/**
 * Everything but the images (a small skeleton of metadata) is kept and parsed at the end, where
 * another key may be asked for (an edit's `image_url`); the only per-byte work in an image is one
 * native `indexOf` for its closing quote.
 */
export class JsonImageScanner {
  private skeleton: Uint8Array[] = []
  private skeletonBytes = 0
  private tail: Uint8Array | null = null
  private inImage = false
  private readonly key: Uint8Array

  /** `key` is the string-valued key whose values stream to the sink (`b64_json` by default). */
  constructor(
    private readonly sink: Base64Sink,
    private readonly maxSkeletonBytes: number,
    key = 'b64_json',
  ) {
    this.key = encoder.encode(JSON.stringify(key))
  }

  /** Adds text to the skeleton where the scan is (inside an image's quotes, from `imageBegin`). */
  annotate(text: string): void {
    this.keep(encoder.encode(text))
  }

  /** The skeleton so far, as text (it is small). */
  skeletonText(): string {
    return new TextDecoder().decode(concat(this.skeleton, this.skeletonBytes))
  }

  /** True while inside an image's base64. */
  get inBase64(): boolean {
    return this.inImage
  }

  /**
   * Scans `chunk[from, to)`. `text`, searchable windows of the chunk that another scanner made
   * already, makes finding the closing quote nearly free; without it one byte scan is cheaper than
   * making them.
   */
  push(chunk: Uint8Array, from = 0, to = chunk.length, text?: ChunkText): void {
    let at = from
    while (at < to) {
      if (this.inImage) {
        const found = text
          ? text.indexOf(QUOTE, at, to)
          : at + chunk.subarray(at, to).indexOf(QUOTE)
        const end = found < at ? to : found
        if (end > at) this.sink.base64(chunk, at, end)
        if (found < at) return
        this.inImage = false
        this.sink.imageEnd(chunk, end)
        at = end
        continue
      }
      at = this.outside(chunk, at, to)
    }
  }

  /** The JSON outside images: returns where an image starts, or `to` when none does. */
  private outside(chunk: Uint8Array, from: number, to: number): number {
    const tail = this.tail
    this.tail = null
    const buf = tail ? concat([tail, chunk.subarray(from, to)]) : chunk.subarray(from, to)
    const offset = tail ? tail.length : 0
    let q = buf.indexOf(QUOTE)
    while (q >= 0) {
      const match = matchKey(buf, q, this.key)
      if (match === 'partial') {
        this.keep(buf.subarray(0, q))
        this.tail = buf.slice(q)
        return to
      }
      if (match !== 'none') {
        this.keep(buf.subarray(0, match.end))
        this.inImage = true
        const start = from + match.end - offset
        this.sink.imageBegin(chunk, start)
        return start
      }
      q = buf.indexOf(QUOTE, q + 1)
    }
    this.keep(buf)
    return to
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return
    this.skeletonBytes += bytes.length
    if (this.skeletonBytes > this.maxSkeletonBytes) {
      throw new MalformedBodyError('too much JSON besides the images')
    }
    this.skeleton.push(bytes.slice())
  }

  /** The JSON ended: everything but the images, parsed. */
  finish(): Record<string, unknown> {
    if (this.inImage) throw new MalformedBodyError('the body ended inside an image')
    if (this.tail) this.keep(this.tail)
    this.tail = null
    let parsed: unknown
    try {
      parsed = JSON.parse(new TextDecoder().decode(concat(this.skeleton, this.skeletonBytes)))
    } catch {
      throw new MalformedBodyError('the body is not complete JSON')
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new MalformedBodyError('the body is not a JSON object')
    }
    return parsed as Record<string, unknown>
  }
}

/** Does `"<key>" : "` start at `q`? Whitespace around the colon is allowed. */
function matchKey(buf: Uint8Array, q: number, key: Uint8Array): Match {
  for (let k = 0; k < key.length; k++) {
    if (q + k >= buf.length) return 'partial'
    if (buf[q + k] !== key[k]) return 'none'
  }
  let at = q + key.length
  let colon = false
  for (let gap = 0; gap <= MAX_GAP * 2 + 1; gap++, at++) {
    if (at >= buf.length) return 'partial'
    const b = buf[at]
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue
    if (b === 0x3a && !colon) {
      colon = true
      continue
    }
    return b === QUOTE && colon ? { end: at + 1 } : 'none'
  }
  return 'none'
}
