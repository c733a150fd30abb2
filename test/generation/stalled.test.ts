/**
 * Readers that take nothing: after a while the owner stops writing to them (parked, holding no
 * queue and no read of the records) while the others go on; one that takes again later gets its
 * answer byte for byte from where it stood; one that never does is cut off. The time is the one
 * the generation is told (`tend`), never waited for.
 */
import { describe, expect, it, vi } from 'vitest'
import { rendererOf } from '../../src/answer/renderers'
import { CatchUp, type CatchUpSink } from '../../src/generation/catch-up'
import { STALLED_CUT_MS, STALLED_PARK_MS } from '../../src/generation/generation'
import type { Piece } from '../../src/result/pieces'
import { UNPOOLED } from '../../src/stream/buffer-pool'
import {
  encoder,
  frames,
  image,
  ORIGIN,
  PIECE,
  partialFrame,
  publishFrame,
  publishImage,
  readRest,
  readSome,
  setup,
} from '../helpers/fan-out'

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** Streams the store hands out for stored images: how many, and once one is cancelled. */
function watchReads(store: { readImage: (...args: never[]) => unknown }) {
  let opened!: () => void
  let cancelled!: () => void
  const seen = {
    opened: 0,
    cancelled: 0,
    firstOpened: new Promise<void>((resolve) => {
      opened = resolve
    }),
    firstCancelled: new Promise<void>((resolve) => {
      cancelled = resolve
    }),
  }
  const readImage = store.readImage.bind(store) as (
    ...args: unknown[]
  ) => Promise<ReadableStream<Uint8Array> | null>
  Object.assign(store, {
    readImage: async (...args: unknown[]) => {
      const body = await readImage(...args)
      if (!body) return body
      seen.opened++
      opened()
      const reader = body.getReader()
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read()
          if (done) controller.close()
          else controller.enqueue(value)
        },
        cancel(reason) {
          seen.cancelled++
          cancelled()
          return reader.cancel(reason)
        },
      })
    },
  })
  return seen
}

describe('stalled readers', () => {
  it('stops writing to a reader that took nothing for a while, without holding back the others', async () => {
    const { gen, writer, publish, watch } = setup()
    const stalled = gen.subscribe('sse', ORIGIN)
    const reader = gen.subscribe('sse', ORIGIN)
    const progress = { bytes: 0 }
    const reading = readRest(reader.body, progress)
    const published = [partialFrame(0, 3_000_000)]
    const publishing = publishFrame(publish, published[0] as Uint8Array)
    const before = await readSome(stalled, 300_000) // then it takes nothing
    await publishing

    // Once the one reading has taken all it was given (nothing queued, every write taken), only
    // the other one has taken nothing.
    await vi.waitFor(
      () => {
        expect(reader.queuedBytes).toBe(0)
        expect(progress.bytes).toBe(watch.written(reader))
      },
      { timeout: 10_000 },
    )
    gen.tend(Date.now() + STALLED_PARK_MS)
    expect(watch.parked(stalled)).toBe(1)
    expect(stalled.queuedBytes).toBe(0)
    const written = watch.written(stalled)
    for (let i = 1; i < 4; i++) {
      published.push(partialFrame(i, 2_000_000))
      await publishFrame(publish, published[i] as Uint8Array)
      expect(gen.ready()).toBeNull() // no one holds the generation back
    }
    published.push(await publishImage(publish, image(3_000_000)))
    gen.finish({ kind: 'done', meta: await writer.complete() })
    expect(watch.written(stalled)).toBe(written)
    expect(stalled.queuedBytes).toBe(0)
    expect(watch.parked(stalled)).toBe(1)

    // The one reading got every event as it came; the stalled one nothing more.
    expect(frames(await reading)).toEqual(published.map(text))
    expect(watch.parked(reader) + watch.fellBehind(reader)).toBe(0)

    // Read late, it gets the rest of the event it stood in (in memory, kept for it while three
    // newer ones came), then the finished image from R2.
    const after = await readRest(stalled.body)
    const wanted = [published[0], published[4]] as Uint8Array[]
    expect(frames(before + after)).toEqual(wanted.map(text))
  })

  it('continues a reader parked inside a spilled event byte for byte, then live', async () => {
    const { gen, writer, publish, watch } = setup()
    const stalled = gen.subscribe('sse', ORIGIN)
    const first = partialFrame(0, 6_000_000)
    await publish({ kind: 'frame-begin', event: 'image_generation.partial_image' })
    const head = 16 * PIECE // 1 MiB: under the lag limit, so the owner never waits for it
    for (let at = 0; at < head; at += PIECE) {
      await publish({ kind: 'frame-bytes', bytes: first.slice(at, at + PIECE), ref: UNPOOLED })
    }
    const before = await readSome(stalled, 200_000)
    gen.tend(Date.now() + STALLED_PARK_MS)
    expect(watch.parked(stalled)).toBe(1)
    const after = readRest(stalled.body) // it takes again while the event still arrives
    for (let at = head; at < first.length; at += PIECE) {
      await publish({ kind: 'frame-bytes', bytes: first.slice(at, at + PIECE), ref: UNPOOLED })
    }
    await publish({ kind: 'frame-end' })
    const second = partialFrame(1, 100_000)
    await publishFrame(publish, second)
    gen.finish({ kind: 'done', meta: await writer.complete().catch(() => ({ created: 1 })) })
    expect(frames(before + (await after))).toEqual([text(first), text(second)])
    expect(watch.parked(stalled)).toBe(1)
  })

  it('lets go of its read of R2 when a reader catching up stalls, and resumes it exactly', async () => {
    const { gen, writer, publish, watch } = setup()
    const seen = watchReads(gen.store as never)
    const b64 = image(6_000_000)
    await publish({ kind: 'image-begin', index: 0, prefix: null })
    const chars = encoder.encode(b64)
    for (let at = 0; at < chars.length; at += PIECE) {
      await publish({ kind: 'base64', bytes: chars.slice(at, at + PIECE), ref: UNPOOLED })
    }
    await publish({ kind: 'image-end', index: 0, suffix: null, payload: null })
    await publish({ kind: 'meta', meta: { created: 7 } } satisfies Piece)
    gen.finish({ kind: 'done', meta: await writer.complete() })

    const late = gen.subscribe('json', ORIGIN) // catches up: the image is read back from R2
    await late.head
    await seen.firstOpened
    gen.tend(Date.now() + STALLED_PARK_MS)
    expect(watch.parked(late)).toBe(1)
    await seen.firstCancelled
    expect(seen).toMatchObject({ opened: 1, cancelled: 1 })

    const answer = JSON.parse(await readRest(late.body))
    expect(answer.data[0].b64_json).toBe(b64)
    expect(seen.opened).toBe(2) // read again from where it stood
  })

  it('opens no read of the records for a reader with no room for what it would read', async () => {
    const { gen, writer, publish } = setup()
    const seen = watchReads(gen.store as never)
    await publishImage(publish, image(1_000_000))
    gen.finish({ kind: 'done', meta: await writer.complete() })
    let asked!: () => void
    const roomAsked = new Promise<void>((resolve) => {
      asked = resolve
    })
    const sink: CatchUpSink = {
      gen,
      renderer: rendererOf('sse'),
      origin: ORIGIN,
      closed: false,
      room: () => {
        asked()
        return new Promise(() => {}) // its reader takes nothing
      },
      at() {},
      push() {},
      answer() {},
      end() {},
      fail() {},
      live() {},
    }
    void new CatchUp(sink, { seq: 0, offset: 1000 }).run()
    await roomAsked
    expect(seen.opened).toBe(0)
  })

  it('cuts off a reader that took nothing for STALLED_CUT_MS, which then leaves the generation', async () => {
    const { gen, writer, publish, watch } = setup()
    const stalled = gen.subscribe('sse', ORIGIN)
    await publishFrame(publish, partialFrame(0, 1_000_000))
    gen.tend(Date.now() + STALLED_CUT_MS)
    await expect(readRest(stalled.body)).rejects.toThrow(/took nothing/)
    gen.finish({ kind: 'done', meta: await writer.complete().catch(() => ({ created: 1 })) })
    await new Promise<void>((resolve) => gen.whenIdle(resolve))
    expect(watch.left).toEqual(new Set([stalled]))
  })

  it('ends the body of an answer that will not be read (a failure before any byte)', async () => {
    const { gen, watch } = setup()
    const waiter = gen.subscribe('json', ORIGIN)
    gen.finish({ kind: 'failed', failure: { kind: 'internal' } })
    expect((await waiter.head).kind).toBe('failed')
    await new Promise<void>((resolve) => gen.whenIdle(resolve))
    expect(watch.left).toEqual(new Set([waiter]))
  })
})
