/**
 * Finds ASCII bytes (line ends, quotes) in a chunk at memchr speed: each 64 KiB window is decoded
 * once and searched as text, since `Uint8Array#indexOf` walks bytes one by one.
 */

const WINDOW = 64 * 1024
const ascii = new TextDecoder()
const oneToOne = new TextDecoder('windows-1252')

/**
 * A chunk's windows as text: UTF-8 (V8's ASCII fast path), or one byte to one character
 * (windows-1252) for a window that is not plain ASCII, so text positions are byte positions.
 */
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
