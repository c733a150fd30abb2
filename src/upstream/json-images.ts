/**
 * Reads an Images API JSON body incrementally: each `b64_json` string is yielded as soon as its
 * closing quote arrives, and everything else (a small skeleton) is parsed at the end. Only one
 * image is held at a time, whatever n and size are. Hand-written rather than a streaming JSON
 * library because those step through every character in JS, which for megabytes of base64 costs
 * far more CPU than the Free plan's 10 ms; this finds quotes with native indexOf instead.
 */

export type JsonImagesItem =
  | { kind: 'image'; index: number; b64: string }
  | { kind: 'end'; skeleton: Record<string, unknown> }

const FIELD = /"b64_json"\s*:\s*"/
/** Longest text the field pattern can span, kept across chunk boundaries. */
const FIELD_TAIL = 40
/** The skeleton is metadata only; more than this means the body is not what we expect. */
const MAX_SKELETON_CHARS = 1024 * 1024

export class MalformedBodyError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'MalformedBodyError'
  }
}

import { MAX_PAYLOAD_CHARS, OversizePayloadError, readWithin } from '../stream/idle-read'

/** Yields each image's base64 in order, then the rest of the body as parsed JSON. */
export async function* readJsonImages(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
): AsyncGenerator<JsonImagesItem> {
  const decoder = new TextDecoder()
  let skeleton = ''
  let pending = '' // text not yet classified (may hold the start of a field name)
  let inImage = false
  let pieces: string[] = []
  let imageChars = 0
  let index = 0
  const reader = body.getReader()
  let finished = false
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, idleMs)
      let text = pending + (done ? decoder.decode() : decoder.decode(value, { stream: true }))
      pending = ''
      while (text.length > 0) {
        if (inImage) {
          const close = text.indexOf('"')
          if (close < 0) {
            pieces.push(text)
            imageChars += text.length
            if (imageChars > MAX_PAYLOAD_CHARS) throw new OversizePayloadError()
            text = ''
            break
          }
          pieces.push(text.slice(0, close))
          text = text.slice(close)
          inImage = false
          // Base64 holds no quotes; the only escape a JSON encoder may add is "\/".
          yield { kind: 'image', index: index++, b64: pieces.join('').replaceAll('\\/', '/') }
          pieces = []
          imageChars = 0
          continue
        }
        const match = FIELD.exec(text)
        if (!match) {
          const keep = done ? 0 : Math.min(FIELD_TAIL, text.length)
          skeleton += text.slice(0, text.length - keep)
          pending = text.slice(text.length - keep)
          text = ''
          break
        }
        skeleton += text.slice(0, match.index + match[0].length)
        text = text.slice(match.index + match[0].length)
        inImage = true
      }
      if (skeleton.length > MAX_SKELETON_CHARS)
        throw new MalformedBodyError('body is not an images response')
      if (done) break
    }
    finished = true
  } finally {
    // Stopped early (consumer gone or a throw): close the upstream connection too.
    if (!finished) await reader.cancel().catch(() => {})
  }
  if (inImage) throw new MalformedBodyError('body ended inside an image')
  let parsed: unknown
  try {
    parsed = JSON.parse(skeleton)
  } catch {
    throw new MalformedBodyError('body is not complete JSON')
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MalformedBodyError('body is not a JSON object')
  }
  yield { kind: 'end', skeleton: parsed as Record<string, unknown> }
}
