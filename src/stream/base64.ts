/**
 * Base64 in slices with the runtime's native TC39 methods (setFromBase64, toBase64: several times
 * faster than node:buffer in workerd): an image passes through in fixed-size slices, never whole.
 */

import { BLOCK_BYTES, type ChunkRef, PooledChunk, takeBuffer } from './buffer-pool'
import { encoder } from './bytes'
import type { Chunk } from './chunk-reader'
import { evenChunks } from './even-chunks'
import { MalformedBodyError } from './malformed'

// Not in TypeScript's lib yet, hence these small declarations.
interface FromBase64Options {
  lastChunkHandling?: 'loose' | 'strict' | 'stop-before-partial'
}
interface NativeSetFromBase64 {
  setFromBase64(text: string, options?: FromBase64Options): { read: number; written: number }
}

export function encodeBase64(bytes: Uint8Array): string {
  return (bytes as unknown as { toBase64(): string }).toBase64()
}

/** Base64 text bytes staged before one native decode call: 64 KiB (a multiple of 4). */
const STAGE_BYTES = 64 * 1024
/** Bytes one decode call may write: 48 KiB. */
const SLICE_BYTES = (STAGE_BYTES / 4) * 3
const BACKSLASH = 0x5c
const latin1 = new TextDecoder()

/**
 * Decodes base64 text that arrives in arbitrary pieces (as JSON carries it: `\/` is unescaped)
 * into decoded slices of at most 48 KiB, handed to `out` as they are ready. Slices are cut from
 * pooled blocks, one after another: a slice is valid during the call, and for as long as its `ref`
 * is retained (a consumer that reads it later, like a hash, retains it until done).
 */
export class Base64Decoder {
  private readonly stage = new Uint8Array(STAGE_BYTES)
  private staged = 0
  private block: Uint8Array | null = null
  private ref: PooledChunk | null = null
  private used = 0
  /** Whether the text held `\/` escapes (so it is not plain base64, byte for byte). */
  escaped = false

  constructor(private readonly out: (bytes: Uint8Array, ref: ChunkRef) => void) {}

  push(chunk: Uint8Array, from = 0, to = chunk.length): void {
    for (let at = from; at < to; ) {
      const n = Math.min(STAGE_BYTES - this.staged, to - at)
      this.stage.set(chunk.subarray(at, at + n), this.staged)
      this.staged += n
      at += n
      if (this.staged === STAGE_BYTES) this.decode(false)
    }
  }

  /** The text ended: decodes what is left (which may be padded or unpadded). */
  finish(): void {
    try {
      this.decode(true)
      if (this.staged > 0) throw new MalformedBodyError('an image is not valid base64')
    } finally {
      this.release()
    }
  }

  /** Lets go of the block being filled (done, or giving up); slices still retained stay valid. */
  release(): void {
    this.ref?.release()
    this.ref = null
    this.block = null
  }

  /** Room for one decode call: the rest of the block being filled, or a fresh pooled block. */
  private target(): Uint8Array {
    if (!this.block || this.block.length - this.used < SLICE_BYTES) {
      this.ref?.release()
      this.block = new Uint8Array(takeBuffer())
      this.ref = new PooledChunk(this.block.buffer)
      this.used = 0
    }
    return this.block.subarray(this.used, this.used + SLICE_BYTES)
  }

  private decode(last: boolean): void {
    // A backslash at the end may be the first half of `\/`: it waits for the next piece.
    const held = !last && this.stage[this.staged - 1] === BACKSLASH ? 1 : 0
    let text = latin1.decode(this.stage.subarray(0, this.staged - held))
    if (text.includes('\\')) {
      this.escaped = true
      text = text.replaceAll('\\/', '/')
      if (text.includes('\\')) throw new MalformedBodyError('an escape inside base64')
    }
    const target = this.target()
    let result: { read: number; written: number }
    try {
      result = (target as unknown as NativeSetFromBase64).setFromBase64(text, {
        lastChunkHandling: last ? 'loose' : 'stop-before-partial',
      })
    } catch {
      throw new MalformedBodyError('an image is not valid base64')
    }
    // Characters that did not make a whole group yet (at most 3) wait for the next piece.
    const rest = text.slice(result.read)
    for (let i = 0; i < rest.length; i++) this.stage[i] = rest.charCodeAt(i)
    if (held) this.stage[rest.length] = BACKSLASH
    this.staged = rest.length + held
    if (result.written === 0) return
    this.used += result.written
    this.out(target.subarray(0, result.written), this.ref as PooledChunk)
  }
}

/** Bytes encoded per native call: 192 KiB, a multiple of 3 whose text fills one pooled block. */
export const ENCODE_BYTES = (BLOCK_BYTES / 4) * 3

/**
 * The base64 text of a byte stream, in chunks of up to one pooled block (256 KiB): the bytes are
 * read 192 KiB at a time and each read is encoded by one native call, written into a pooled block
 * (`encodeInto`, no copy of its own). A chunk's ref is released when the loop asks for the next
 * one: retain it to keep the bytes longer. `skipChars` drops the text's first characters (0–3): a
 * stream that starts at byte 3k of an image continues its base64 from character 4k + skipChars.
 */
export async function* base64Chunks(
  body: ReadableStream<Uint8Array>,
  skipChars = 0,
): AsyncGenerator<Chunk> {
  let skip = skipChars
  for await (const bytes of evenChunks(body, ENCODE_BYTES)) {
    const block = new Uint8Array(takeBuffer())
    const { written } = encoder.encodeInto(encodeBase64(bytes), block)
    const ref = new PooledChunk(block.buffer)
    try {
      yield { bytes: block.subarray(Math.min(skip, written), written), ref }
    } finally {
      ref.release()
    }
    skip = 0
  }
}
