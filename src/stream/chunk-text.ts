/**
 * Finds ASCII bytes (line ends, quotes) in a chunk at memchr speed. `Uint8Array.prototype.indexOf`
 * walks bytes one by one (about 1 ns each in V8), which on megabytes of base64 was the largest
 * CPU cost of a stream; a string's `indexOf` is vectorised. So each 64 KiB window of the chunk is
 * decoded once, as UTF-8 (V8's ASCII fast path), and searched as text; several searches share
 * the windows. A window that is not plain ASCII is decoded one byte to one character
 * (windows-1252) instead, so text positions are always byte positions.
 */

const WINDOW = 64 * 1024
const ascii = new TextDecoder()
const oneToOne = new TextDecoder('windows-1252')

export class ChunkText {
  private readonly windows: string[] = []

  constructor(readonly bytes: Uint8Array) {}

  /** Position of the first `byte` (ASCII) in `bytes[from, to)`, or -1. */
  indexOf(byte: number, from: number, to = this.bytes.length): number {
    const char = String.fromCharCode(byte)
    for (let w = Math.floor(from / WINDOW); w * WINDOW < to; w++) {
      const start = w * WINDOW
      const found = this.window(w).indexOf(char, Math.max(0, from - start))
      if (found >= 0) return start + found < to ? start + found : -1
    }
    return -1
  }

  private window(w: number): string {
    let text = this.windows[w]
    if (text === undefined) {
      const bytes = this.bytes.subarray(w * WINDOW, (w + 1) * WINDOW)
      text = ascii.decode(bytes)
      // Only a one-to-one decoding keeps positions: any multi-byte character shortens the text.
      if (text.length !== bytes.length) text = oneToOne.decode(bytes)
      this.windows[w] = text
    }
    return text
  }
}
