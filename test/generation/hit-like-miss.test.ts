/**
 * A hit answers exactly like a miss: for random results (how many images, their sizes, partial
 * images or none, a generation's or an edit's, from an SSE or a JSON upstream that says what was
 * asked), each shape's hit has the bytes the miss's answer had, its partial images aside.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StreamShape } from '../../src/answer/renderers'
import { hitBody } from '../../src/generation/hit'
import { answerFrom } from '../../src/generation/waiter-answer'
import { completedEvent, type ImageKind, partialImageEvent } from '../../src/result/events'
import type { Piece } from '../../src/result/pieces'
import type { ResultMeta } from '../../src/result/result'
import { UNPOOLED } from '../../src/stream/buffer-pool'
import { sseEvent } from '../fakes/upstream'
import { encoder, image, ORIGIN, PIECE, readRest, setup } from '../helpers/fan-out'

interface Drawn {
  kind: ImageKind
  /** An SSE upstream (its own events, partial images) or a JSON one (events rebuilt). */
  sse: boolean
  images: { bytes: number; partials: number }[]
  meta: ResultMeta
}

const drawn: fc.Arbitrary<Drawn> = fc.record({
  kind: fc.constantFrom<ImageKind>('generation', 'edit'),
  sse: fc.boolean(),
  // Up to 450 KB each: an image's base64 is encoded 192 KiB of bytes at a time.
  images: fc.array(
    fc.record({ bytes: fc.integer({ min: 8, max: 450_000 }), partials: fc.nat({ max: 2 }) }),
    { minLength: 1, maxLength: 3 },
  ),
  meta: fc.record(
    {
      created: fc.integer({ min: 1, max: 2e9 }),
      size: fc.constantFrom('1024x1024', '1536x1024'),
      quality: fc.constantFrom('low', 'high'),
      background: fc.constantFrom('opaque', 'transparent'),
      output_format: fc.constantFrom('png', 'webp'),
      usage: fc.record({ total_tokens: fc.nat() }),
    },
    { requiredKeys: ['created'] },
  ),
})

/** Publishes `text` as the owner does, in pieces. */
async function publishBytes(publish: (piece: Piece) => Promise<void>, text: Uint8Array) {
  for (let at = 0; at < text.length; at += PIECE) {
    await publish({ kind: 'frame-bytes', bytes: text.slice(at, at + PIECE), ref: UNPOOLED })
  }
}

/** The generation as its upstream made it: partial images (SSE only), images, what it said. */
async function generate(publish: (piece: Piece) => Promise<void>, result: Drawn) {
  const { kind, meta } = result
  for (const [index, { bytes, partials }] of result.images.entries()) {
    for (let p = 0; result.sse && p < partials; p++) {
      await publish({ kind: 'frame-begin', event: partialImageEvent(kind) })
      const partial = { b64_json: image(1000 + p), partial_image_index: p }
      await publishBytes(publish, encoder.encode(sseEvent(partialImageEvent(kind), partial)))
      await publish({ kind: 'frame-end' })
    }
    const b64 = image(bytes)
    const { created, ...rest } = meta
    const fields = { created_at: created, ...rest }
    const event = sseEvent(completedEvent(kind), { b64_json: b64, ...fields })
    const [prefix, suffix] = event.split(b64) as [string, string]
    await publish({
      kind: 'image-begin',
      index,
      prefix: result.sse ? encoder.encode(prefix) : null,
    })
    const text = encoder.encode(b64)
    for (let at = 0; at < text.length; at += PIECE) {
      await publish({ kind: 'base64', bytes: text.slice(at, at + PIECE), ref: UNPOOLED })
    }
    await publish({
      kind: 'image-end',
      index,
      suffix: result.sse ? encoder.encode(suffix) : null,
      payload: result.sse ? { type: completedEvent(kind), ...fields } : null,
    })
  }
  if (!result.sse) await publish({ kind: 'meta', meta })
}

const text = async (body: ReadableStream<Uint8Array> | Uint8Array) =>
  body instanceof Uint8Array ? new TextDecoder().decode(body) : readRest(body)

describe('a hit and a miss of the same result', () => {
  it('have the same bytes in every shape, partial images aside (property)', async () => {
    await fc.assert(
      fc.asyncProperty(drawn, async (result) => {
        const { kind, meta } = result
        const n = result.images.length
        const { gen, writer, publish, key } = setup(undefined, { n, meta, kind })
        const shapes: StreamShape[] = ['sse', 'sse-url', 'json']
        const misses = shapes.map((shape) => text(gen.subscribe(shape, ORIGIN).body))
        const upstream = { kind: 'remote' as const }
        const join = { shape: 'json-url' as const, origin: ORIGIN, upstream }
        const urlMiss = answerFrom({ id: 'gen', generation: gen }, join)
        await generate(publish, result)
        gen.finish({ kind: 'done', meta: await writer.complete() })
        const manifest = await gen.store.lookup(key)
        expect(manifest?.images).toHaveLength(n)
        if (!manifest) return
        const partial = `event: ${partialImageEvent(kind)}\n`
        for (const [i, shape] of shapes.entries()) {
          const miss = (await misses[i]) as string
          const hit = await text(hitBody(shape, manifest, gen.store, ORIGIN, kind))
          const frames = miss.split(/(?<=\n\n)/)
          expect(hit).toBe(frames.filter((frame) => !frame.startsWith(partial)).join(''))
        }
        const answered = await urlMiss
        expect(answered.kind).toBe('answer')
        if (answered.kind !== 'answer' || !answered.body) return
        const hit = await text(hitBody('json-url', manifest, gen.store, ORIGIN, kind))
        expect(hit).toBe(await text(answered.body))
      }),
      { numRuns: 12 },
    )
  })
})
