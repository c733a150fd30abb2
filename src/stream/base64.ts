/**
 * Base64 in slices, with the runtime's native TC39 methods (Uint8Array.fromBase64, setFromBase64,
 * toBase64: several times faster than node:buffer in workerd). Decoding works on 4-character
 * groups and encoding on 3-byte groups, so an image of any size passes through in fixed-size
 * slices (tens of KB, where these calls are fastest) and is never one string or one array.
 * They are not in TypeScript's lib yet, hence the small declarations here.
 */

import { encoder } from './bytes'
import { largeChunks } from './chunk-reader'
import { MalformedBodyError } from './malformed'

interface FromBase64Options {
  lastChunkHandling?: 'loose' | 'strict' | 'stop-before-partial'
}
interface NativeBase64 {
  fromBase64(text: string): Uint8Array
}
interface NativeSetFromBase64 {
  setFromBase64(text: string, options?: FromBase64Options): { read: number; written: number }
}

export function decodeBase64(text: string): Uint8Array {
  return (Uint8Array as unknown as NativeBase64).fromBase64(text)
}

export function encodeBase64(bytes: Uint8Array): string {
  return (bytes as unknown as { toBase64(): string }).toBase64()
}

/** Base64 text bytes staged before one native decode call: 64 KiB (a multiple of 4). */
const STAGE_BYTES = 64 * 1024
const BACKSLASH = 0x5c
const SLASH = 0x2f
const latin1 = new TextDecoder()

/**
 * Decodes base64 text that arrives in arbitrary pieces (as JSON carries it: `\/` is unescaped)
 * into decoded slices of at most 48 KiB, handed to `out` as they are ready.
 */
export class Base64Decoder {
  private readonly stage = new Uint8Array(STAGE_BYTES)
  private staged = 0
  private escaped = false

  constructor(private readonly out: (bytes: Uint8Array) => void) {}

  push(chunk: Uint8Array, from = 0, to = chunk.length): void {
    let at = from
    while (at < to) {
      const room = STAGE_BYTES - this.staged
      const end = Math.min(to, at + room)
      const slice = chunk.subarray(at, end)
      if (this.escaped || slice.indexOf(BACKSLASH) >= 0) this.unescapeInto(slice)
      else {
        this.stage.set(slice, this.staged)
        this.staged += slice.length
      }
      at = end
      if (this.staged === STAGE_BYTES) this.decode(false)
    }
  }

  /** The text ended: decodes what is left (which may be padded or unpadded). */
  finish(): void {
    if (this.escaped) throw new MalformedBodyError('a base64 string ended with a backslash')
    this.decode(true)
  }

  /** Copies `\/` as `/` (the one escape a JSON encoder may put into base64). */
  private unescapeInto(slice: Uint8Array): void {
    for (const byte of slice) {
      if (this.escaped) {
        if (byte !== SLASH) throw new MalformedBodyError('an escape inside base64')
        this.escaped = false
      } else if (byte === BACKSLASH) {
        this.escaped = true
        continue
      }
      this.stage[this.staged++] = byte
    }
  }

  private decode(last: boolean): void {
    if (this.staged === 0) return
    const text = latin1.decode(this.stage.subarray(0, this.staged))
    const target = new Uint8Array(Math.ceil(this.staged / 4) * 3)
    let result: { read: number; written: number }
    try {
      result = (target as unknown as NativeSetFromBase64).setFromBase64(text, {
        lastChunkHandling: last ? 'loose' : 'stop-before-partial',
      })
    } catch {
      throw new MalformedBodyError('an image is not valid base64')
    }
    // Whatever did not make a whole group yet (at most 3 characters) waits for the next piece.
    this.stage.copyWithin(0, result.read, this.staged)
    this.staged -= result.read
    if (last && this.staged > 0) throw new MalformedBodyError('an image is not valid base64')
    if (result.written > 0) this.out(target.subarray(0, result.written))
  }
}

/** Bytes encoded per slice when they arrive in one large piece: 48 KiB (a multiple of 3). */
const ENCODE_SLICE = 48 * 1024

/**
 * The base64 text of a byte stream, as byte slices of at most 64 KiB, encoded in 3-byte groups
 * as the bytes arrive. `skipChars` drops the text's first characters (0–3): a stream that starts
 * at byte 3k of an image continues its base64 from character 4k + skipChars.
 */
export async function* base64Pieces(
  body: ReadableStream<Uint8Array>,
  skipChars = 0,
): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array | null = null
  let skip = skipChars
  const emit = (bytes: Uint8Array) => {
    const text = encodeBase64(bytes)
    const out = encoder.encode(skip > 0 ? text.slice(skip) : text)
    skip = 0
    return out
  }
  for await (const chunk of largeChunks(body)) {
    let at = 0
    if (carry) {
      // Complete the group left over from the last chunk, rather than copy this chunk to join it.
      const need = 3 - carry.length
      const group: Uint8Array = new Uint8Array(Math.min(3, carry.length + chunk.length))
      group.set(carry)
      group.set(chunk.subarray(0, need), carry.length)
      at = Math.min(need, chunk.length)
      carry = null
      if (group.length < 3) {
        carry = group
        continue
      }
      yield emit(group)
    }
    const whole = chunk.length - ((chunk.length - at) % 3)
    for (; at < whole; at += ENCODE_SLICE) {
      yield emit(chunk.subarray(at, Math.min(whole, at + ENCODE_SLICE)))
    }
    if (whole < chunk.length) carry = chunk.slice(whole)
  }
  if (carry) yield emit(carry)
}
