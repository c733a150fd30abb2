/**
 * The owner's fan-out, driven piece by piece as the owner reads the upstream: a reader that never
 * reads holds at most its bound, however much passes, and holds the generation only for its
 * grace; one that falls behind mid-event or mid-image still gets exact bytes (the rest from R2);
 * a reader that keeps up is waited for and gets everything; late joiners get the newest partial
 * image and every finished image.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { KEEPALIVE } from '../../src/answer/sse'
import { WRITES_IN_FLIGHT } from '../../src/generation/answer-pipe'
import { LAG_LIMIT_BYTES } from '../../src/generation/subscriber'
import { UNPOOLED } from '../../src/stream/buffer-pool'
import { concat } from '../../src/stream/bytes'
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

describe('fan-out', () => {
  it('never holds more than its bound for a reader that never reads, however much passes', async () => {
    const { gen, writer, publish, watch } = setup()
    const stuck = Array.from({ length: 10 }, () => gen.subscribe('sse', ORIGIN))
    const published: string[] = []
    for (let i = 0; i < 6; i++) {
      const frame = partialFrame(i, 3_000_000)
      published.push(new TextDecoder().decode(frame))
      await publishFrame(publish, frame, stuck)
    }
    const completed = await publishImage(publish, image(2_000_000), stuck)
    published.push(new TextDecoder().decode(completed))
    gen.finish({ kind: 'done', meta: await writer.complete() })
    // Nothing was written past the window of writes its reader had not taken.
    for (const subscriber of stuck) {
      expect(watch.written(subscriber)).toBeLessThanOrEqual(
        KEEPALIVE.length + WRITES_IN_FLIGHT + PIECE,
      )
    }

    // Read late, they still get whole events only: the first they were in, the newest partial
    // image (none: an image came after it), and the finished image from R2.
    for (const subscriber of stuck) {
      const got = frames(await readRest(subscriber.body))
      expect(got).toEqual([published[0], published[6]])
    }
  })

  it('waits for a reader that keeps up, so it gets every event, each larger than the limit', async () => {
    const { gen, writer, publish, watch } = setup()
    const reader = gen.subscribe('sse', ORIGIN)
    const reading = readRest(reader.body)
    const published: string[] = []
    for (let i = 0; i < 3; i++) {
      const frame = partialFrame(i, 3 * LAG_LIMIT_BYTES)
      published.push(new TextDecoder().decode(frame))
      await publishFrame(publish, frame, [reader])
    }
    gen.finish({ kind: 'done', meta: await writer.complete().catch(() => ({ created: 1 })) })
    expect(frames(await reading)).toEqual(published)
    expect(watch.fellBehind(reader)).toBe(0)
  })

  it('continues the event a reader fell behind in, byte for byte, then the newest', async () => {
    const { gen, writer, publish, watch } = setup()
    const slow = gen.subscribe('sse', ORIGIN)
    const first = partialFrame(0, 3_000_000)
    const reading = publishFrame(publish, first)
    await readSome(slow, 1_000_000)
    await reading
    await publishFrame(publish, partialFrame(1, 3_000_000))
    expect(watch.fellBehind(slow)).toBe(1)
    gen.finish({ kind: 'done', meta: await writer.complete().catch(() => ({ created: 1 })) })
    const rest = await readRest(slow.body)
    const body = new TextDecoder().decode(first)
    // What it read before plus what it read after is the first frame whole, then the second.
    expect(rest.endsWith(new TextDecoder().decode(partialFrame(1, 3_000_000)))).toBe(true)
    expect(body.endsWith(rest.slice(0, rest.length - partialFrame(1, 3_000_000).length))).toBe(true)
  })

  it.each([
    ['kept in memory', 5_000_000],
    ['spilled to R2 as it streams', 6_000_000],
  ])(
    'continues an event still arriving when its reader fell behind inside it (%s)',
    async (_how, size) => {
      const { gen, writer, publish, watch } = setup()
      const slow = gen.subscribe('sse', ORIGIN)
      const frame = partialFrame(0, size)
      const publishing = publishFrame(publish, frame)
      const reader = slow.body.getReader()
      const head: Uint8Array[] = []
      let read = 0
      while (read < 1_000_000) {
        const { value } = await reader.read()
        head.push(value as Uint8Array)
        read += (value as Uint8Array).length
      }
      reader.releaseLock()
      await publishing
      expect(watch.fellBehind(slow)).toBe(1)
      gen.finish({ kind: 'done', meta: await writer.complete().catch(() => ({ created: 1 })) })
      const text = new TextDecoder().decode(concat(head)) + (await readRest(slow.body))
      expect(frames(text)).toEqual([new TextDecoder().decode(frame)])
    },
  )

  it('continues a base64 JSON answer mid-image from R2, byte for byte', async () => {
    const { gen, writer, publish, watch } = setup()
    const slow = gen.subscribe('json', ORIGIN)
    const b64 = image(7_000_000)
    const publishing = (async () => {
      await publish({ kind: 'image-begin', index: 0, prefix: null })
      const text = encoder.encode(b64)
      for (let at = 0; at < text.length; at += PIECE) {
        await publish({ kind: 'base64', bytes: text.slice(at, at + PIECE), ref: UNPOOLED })
      }
      await publish({ kind: 'image-end', index: 0, suffix: null, payload: null })
      await publish({ kind: 'meta', meta: { created: 7, size: '1024x1024' } })
    })()
    const reader = slow.body.getReader()
    let head = ''
    while (head.length < 500_000) head += new TextDecoder().decode((await reader.read()).value)
    reader.releaseLock()
    await publishing
    gen.finish({ kind: 'done', meta: await writer.complete() })
    expect(watch.fellBehind(slow)).toBe(1)
    const answer = JSON.parse(head + (await readRest(slow.body)))
    expect(answer.data[0].b64_json).toBe(b64)
    expect(answer).toMatchObject({ created: 7, size: '1024x1024' })
    // 7 MB went to R2 in two parts (5 MiB + the rest).
    const listing = await env.IMAGES.list({ prefix: 'images/' })
    const stored = listing.objects.find((object) => object.size === 7_000_000)
    expect(stored?.etag).toMatch(/-2$/)
  })

  it('gives a late joiner the newest partial image, then every finished image, then live events', async () => {
    const { gen, writer, publish, watch } = setup()
    await publishFrame(publish, partialFrame(0, 100_000))
    await publishFrame(publish, partialFrame(1, 100_000))
    const late = gen.subscribe('sse', ORIGIN)
    await publishFrame(publish, partialFrame(2, 100))
    gen.finish({ kind: 'done', meta: await writer.complete().catch(() => ({ created: 1 })) })
    const got = frames(await readRest(late.body))
    const text = (frame: Uint8Array) => new TextDecoder().decode(frame)
    expect(got).toEqual([text(partialFrame(1, 100_000)), text(partialFrame(2, 100))])
    expect(watch.fellBehind(late)).toBe(0)
  })
})
