/**
 * One generation per picture: identical concurrent requests share one upstream call, late
 * joiners catch up, an abandoned generation is still stored, and a failure releases everyone.
 */
import { describe, expect, it } from 'vitest'
import { errorReply, imageStreamFrames, successBody } from '../fakes/upstream'
import { fakeUpstream, generate, settled } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'
import { readEvents } from '../helpers/sse'

const prompt = 'a crowded harbour at noon'

describe('coalescing', () => {
  it('gives 20 concurrent identical requests one upstream call and identical answers', async () => {
    const fake = fakeUpstream().reply({
      kind: 'delay',
      ms: 300,
      reply: { kind: 'json', status: 200, body: successBody({ n: 2 }) },
    })
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        generate({ prompt, n: 2, ...(i % 2 ? { stream: true } : {}) }),
      ),
    )
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
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(2),
      intervalMs: 200,
    })
    const first = await generate({ prompt, stream: true, partial_images: 2 })
    const reader = readEvents(first)
    await new Promise((resolve) => setTimeout(resolve, 500)) // both partials have been made
    const late = await readEvents(await generate({ prompt, stream: true, partial_images: 2 }))
    const early = await reader
    expect(fake.calls).toHaveLength(1)
    expect(early.map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(late.map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(JSON.parse(late[0]?.data ?? '{}').partial_image_index).toBe(1)
    expect(JSON.parse(late[1]?.data ?? '{}').b64_json).toBe(
      JSON.parse(early[2]?.data ?? '{}').b64_json,
    )
  })

  it('gives a non-stream joiner that arrives after an image was made the full result', async () => {
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(1),
      intervalMs: 200,
    })
    const first = generate({ prompt, stream: true, partial_images: 1 })
    await new Promise((resolve) => setTimeout(resolve, 500))
    const late = await generate({ prompt })
    const body = (await late.json()) as { data: { b64_json: string }[] }
    await (await first).text()
    expect(fake.calls).toHaveLength(1)
    expect(body.data[0]?.b64_json).toMatch(/^iVBOR/)
  })

  it('finishes and stores a generation every client abandoned', async () => {
    const fake = fakeUpstream().reply({
      kind: 'sse',
      frames: imageStreamFrames(2),
      intervalMs: 150,
    })
    const clients = await Promise.all(
      [1, 2].map(() => generate({ prompt, stream: true, partial_images: 2 })),
    )
    for (const res of clients) await (res.body as ReadableStream).cancel()
    await settled()
    expect(await storedKeys('manifests/')).toHaveLength(1)
    const hit = await generate({ prompt })
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(fake.calls).toHaveLength(1)
  })

  it('releases every waiter with the error at once, and the next request tries afresh', async () => {
    const fake = fakeUpstream().reply(
      { kind: 'delay', ms: 200, reply: errorReply(500, {}) },
      errorReply(500, {}),
      { kind: 'success' },
    )
    const responses = await Promise.all(Array.from({ length: 5 }, () => generate({ prompt })))
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
