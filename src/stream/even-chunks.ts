/**
 * Reads a body in chunks of one exact size (the last may be shorter) into one pooled buffer, so
 * per-chunk work that needs whole groups (base64's 3 bytes) has no remainder to carry or copy.
 */
import { BLOCK_BYTES, giveBuffer, takeBuffer } from './buffer-pool'

/**
 * The body's bytes, `size` (at most BLOCK_BYTES) at a time. A byte stream (R2, the edge cache) is
 * read straight into the buffer; pieces of another stream are copied in. A chunk is valid until
 * the loop asks for the next one. Stopping early cancels the body.
 */
export async function* evenChunks(
  body: ReadableStream<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  if (size < 1 || size > BLOCK_BYTES) throw new RangeError(`a chunk of ${size} bytes`)
  let byob: ReadableStreamBYOBReader | null = null
  try {
    byob = body.getReader({ mode: 'byob' })
  } catch {
    // A stream made in JavaScript (tests) is not a byte stream: its pieces are copied in.
  }
  const reader = byob ?? body.getReader()
  const fill = byob ? fillByob(byob) : fillCopying(reader as ReadableStreamDefaultReader)
  let buffer: ArrayBufferLike = takeBuffer()
  let finished = false
  try {
    for (;;) {
      const { bytes, done } = await fill(new Uint8Array(buffer, 0, size))
      buffer = bytes.buffer
      if (bytes.length > 0) yield bytes
      if (done) break
    }
    finished = true
  } finally {
    giveBuffer(buffer)
    if (!finished) await reader.cancel().catch(() => {})
  }
}

/** Fills `view` (fewer bytes only at the end); the bytes may live in a new buffer (BYOB). */
type Fill = (view: Uint8Array) => Promise<{ bytes: Uint8Array; done: boolean }>

function fillByob(reader: ReadableStreamBYOBReader): Fill {
  return async (view) => {
    // readAtLeast: workerd's form of the standard `read(view, { min })`.
    const { done, value } = await reader.readAtLeast(view.length, view)
    if (!value) return { bytes: new Uint8Array(0), done: true }
    return { bytes: value, done: done || value.length < view.length }
  }
}

function fillCopying(reader: ReadableStreamDefaultReader<Uint8Array>): Fill {
  let rest: Uint8Array | null = null
  let ended = false
  return async (view) => {
    let filled = 0
    while (filled < view.length && !ended) {
      if (!rest) {
        const { done, value } = await reader.read()
        if (done) ended = true
        else rest = value
        continue
      }
      const n = Math.min(rest.length, view.length - filled)
      view.set(rest.subarray(0, n), filled)
      filled += n
      rest = n < rest.length ? rest.subarray(n) : null
    }
    return { bytes: view.subarray(0, filled), done: ended && !rest }
  }
}
