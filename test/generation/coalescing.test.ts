/**
 * One generation per picture: identical concurrent requests share one upstream call, late
 * joiners catch up, an abandoned generation is still stored, and a failure releases everyone.
 */
import { describe, expect, it } from 'vitest'
import { errorReply, gate, imageStreamFrames, successBody } from '../fakes/upstream'
import { fakeUpstream, generate, joined, settled } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'
import { readEvents, watchEvents } from '../helpers/sse'

const prompt = 'a crowded harbour at noon'

describe('coalescing', () => {
  it('gives 20 concurrent identical requests one upstream call and identical answers', async () => {
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'held',
      until: release.opened,
      reply: { kind: 'json', status: 200, body: successBody({ n: 2 }) },
    })
    const answers = Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        generate({ prompt, n: 2, ...(i % 2 ? { stream: true } : {}) }),
      ),
    )
    await joined(20) // every request waits on the one generation, whose upstream call is held
    release.open()
    const responses = await answers
    expect(fake.calls).toHaveLength(1)
    const images = await Promise.all(
      responses.map(async (res, i) => {
        expect(res.status).toBe(200)
        if (i % 2 === 0)
          return ((await res.json()) as { data: { b64_json: string }[] }).data.map(
            (d) => d.b64_json,
          )
        const events = await readEvents(res)
        return events
          .filter((e) => e.event === 'image_generation.completed')
          .map((e) => JSON.parse(e.data).b64_json as string)
      }),
    )
    for (const list of images) expect(list).toEqual(images[0])
    expect(images[0]).toHaveLength(2)
    await settled()
    expect(await storedKeys('manifests/')).toHaveLength(1)
  })

  it('lets a late stream joiner catch up on the latest partial image, then continue live', async () => {
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(2),
      hold: { after: 2, until: release.opened },
    })
    const first = watchEvents(await generate({ prompt, stream: true, partial_images: 2 }))
    await first.seen(2) // both partials have reached the first client; the completed is held back
    const late = watchEvents(await generate({ prompt, stream: true, partial_images: 2 }))
    await late.seen(1)
    release.open()
    const [early, joined] = await Promise.all([first.all, late.all])
    expect(fake.calls).toHaveLength(1)
    expect(early.map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(joined.map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(JSON.parse(joined[0]?.data ?? '{}').partial_image_index).toBe(1)
    expect(JSON.parse(joined[1]?.data ?? '{}').b64_json).toBe(
      JSON.parse(early[2]?.data ?? '{}').b64_json,
    )
  })

  it('gives a non-stream joiner that arrives after an image was made the full result', async () => {
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(1),
      hold: { after: 2, until: release.opened },
    })
    const first = watchEvents(await generate({ prompt, stream: true, partial_images: 1 }))
    await first.seen(2) // the partial and the completed image were made; the stream is still open
    const late = await generate({ prompt }) // joined: its answer began while the stream was held
    expect(late.headers.get('x-cache')).toBe('MISS')
    release.open()
    const body = (await late.json()) as { data: { b64_json: string }[] }
    await first.all
    expect(fake.calls).toHaveLength(1)
    expect(body.data[0]?.b64_json).toMatch(/^iVBOR/)
  })

  it('finishes and stores a generation every client abandoned', async () => {
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(2),
      hold: { after: 1, until: release.opened },
    })
    const clients = await Promise.all(
      [1, 2].map(() => generate({ prompt, stream: true, partial_images: 2 })),
    )
    for (const res of clients) await (res.body as ReadableStream).cancel()
    release.open() // the rest comes once both have left
    await settled()
    expect(await storedKeys('manifests/')).toHaveLength(1)
    const hit = await generate({ prompt })
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(fake.calls).toHaveLength(1)
  })

  it('releases every waiter with the error at once, and the next request tries afresh', async () => {
    const release = gate()
    const fake = fakeUpstream().reply(
      { kind: 'held', until: release.opened, reply: errorReply(500, {}) },
      errorReply(500, {}),
      { kind: 'success' },
    )
    const answers = Promise.all(Array.from({ length: 5 }, () => generate({ prompt })))
    await joined(5) // all five wait on the one generation before its upstream call fails
    release.open()
    const responses = await answers
    for (const res of responses) {
      expect(res.status).toBe(500)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'upstream_unavailable',
      )
    }
    expect(fake.calls).toHaveLength(2) // one attempt and its single retry, shared by all five
    const next = await generate({ prompt })
    expect(next.status).toBe(200)
    expect(fake.calls).toHaveLength(3)
  })
})
