/**
 * Reading upstream answers into pieces: a completed event's edges around its base64 are exactly
 * its bytes; error events become failures; answers larger than any real one are refused.
 */
import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../src/errors'
import { MAX_EVENT_BYTES, MAX_IMAGE_BASE64 } from '../../src/result/limits'
import type { Piece } from '../../src/result/pieces'
import { concat } from '../../src/stream/bytes'
import { MalformedBodyError } from '../../src/stream/malformed'
import { JsonAnswerReader } from '../../src/upstream/read-json'
import { SseAnswerReader } from '../../src/upstream/read-sse'
import { sseEvent, TINY_PNG_B64 } from '../fakes/upstream'
import { splitAt } from '../helpers/chunks'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function readSse(chunks: Uint8Array[]) {
  const pieces: Piece[] = []
  const reader = new SseAnswerReader(
    (piece) => pieces.push(piece),
    () => {},
  )
  for (const chunk of chunks) reader.push(chunk.slice())
  reader.finish()
  return pieces
}

/** Chunks of `total` bytes of base64 letters (the same 256 KiB chunk, repeated). */
function* letters(total: number) {
  const chunk = encoder.encode('QUJD'.repeat(65_536))
  for (let sent = 0; sent < total; sent += chunk.length) yield chunk
}

describe('SseAnswerReader', () => {
  it('splits a completed event into prefix, base64 and suffix that rejoin to its bytes', () => {
    const frame = sseEvent('image_generation.completed', {
      b64_json: TINY_PNG_B64,
      size: '1024x1024',
      usage: { total_tokens: 3 },
    })
    for (const cuts of [[], [1, 5, 40, 60, 150, 170], [45, 46, 47]]) {
      const pieces = readSse(splitAt(encoder.encode(frame), cuts))
      const begin = pieces.find((p) => p.kind === 'image-begin')
      const end = pieces.find((p) => p.kind === 'image-end')
      const base64 = pieces.flatMap((p) => (p.kind === 'base64' ? [p.bytes] : []))
      if (begin?.kind !== 'image-begin' || end?.kind !== 'image-end') throw new Error('no image')
      const prefix = decoder.decode(begin.prefix ?? new Uint8Array())
      const suffix = decoder.decode(end.suffix ?? new Uint8Array())
      expect(decoder.decode(concat(base64))).toBe(TINY_PNG_B64)
      expect(prefix + TINY_PNG_B64 + suffix).toBe(frame)
      expect(end.payload).toMatchObject({ size: '1024x1024', usage: { total_tokens: 3 } })
    }
  })

  it('turns an error event into the failure it names, forwarding nothing of it', () => {
    const error = { error: { code: 'moderation_blocked', message: 'Blocked.' } }
    const read = () => readSse([encoder.encode(sseEvent('error', error))])
    expect(read).toThrow(GatewayError)
    try {
      read()
    } catch (e) {
      expect((e as GatewayError).failure).toEqual({
        kind: 'content_policy',
        message: 'Blocked.',
        code: 'moderation_blocked',
        type: 'invalid_request_error',
      })
    }
  })

  it('refuses an event larger than the largest image could make', () => {
    const reader = new SseAnswerReader(
      () => {},
      () => {},
    )
    reader.push(encoder.encode('event: image_generation.partial_image\ndata: {"b64_json":"'))
    expect(() => {
      for (const chunk of letters(MAX_EVENT_BYTES + 1)) reader.push(chunk)
    }).toThrow(MalformedBodyError)
  })

  it('reports an answer that ends inside an event', () => {
    const cut = sseEvent('image_generation.partial_image', { b64_json: 'QUJD' }).slice(0, -2)
    expect(() => readSse([encoder.encode(cut)])).toThrow(MalformedBodyError)
  })
})

describe('JsonAnswerReader', () => {
  it('refuses an image larger than the largest image could make', () => {
    const reader = new JsonAnswerReader(
      () => {},
      () => {},
    )
    reader.push(encoder.encode('{"data":[{"b64_json":"'))
    expect(() => {
      for (const chunk of letters(MAX_IMAGE_BASE64 + 1)) reader.push(chunk)
    }).toThrow(MalformedBodyError)
  })
})
