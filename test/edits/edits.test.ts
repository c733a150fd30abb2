/**
 * Edits answer exactly as generations do: streamed byte for byte with `image_edit.*` events
 * (rebuilt ones too), cached by their pictures' digests (a repeat is a HIT with no upstream call,
 * whichever form it comes in), coalesced, and with their temporary pictures deleted once used
 * unless the operator keeps them.
 */
import { describe, expect, it } from 'vitest'
import { gate, imageStreamFrames, successBody } from '../fakes/upstream'
import { dataUrl, file, form, jpeg, png, postEdit } from '../helpers/edits'
import { ENVS, fakeUpstream, joined, settled } from '../helpers/gateway'
import { manifests, storedKeys } from '../helpers/r2'
import { readEvents } from '../helpers/sse'

const prompt = 'a lighthouse, repainted at night'

const [first, second, mask] = [png(16, 16), jpeg(16, 16), png(16, 16, true)]

/** The same edit each time it is called (fresh FormData: a body is read once). */
const sameEdit = (extra: [string, string][] = []) =>
  form([
    ['image[]', file(first, 'a.png')],
    ['image[]', file(second, 'b.png')],
    ['mask', file(mask, 'm.png')],
    ['prompt', prompt],
    ...extra,
  ])

describe('streaming', () => {
  it('passes the upstream’s edit events through byte for byte', async () => {
    const frames = imageStreamFrames(2, 'image_edit')
    fakeUpstream().reply({ kind: 'sse', frames })
    const res = await postEdit(
      sameEdit([
        ['stream', 'true'],
        ['partial_images', '2'],
      ]),
    )
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const text = await res.text()
    expect(text.replaceAll(': keep-alive\n\n', '')).toBe(frames.join(''))
  })

  it('rebuilds completed events with the edit’s name: from a JSON upstream, from the cache, as URLs', async () => {
    fakeUpstream().reply({ kind: 'json', status: 200, body: successBody({}) })
    const miss = await readEvents(await postEdit(sameEdit([['stream', 'true']])))
    expect(miss.map((e) => e.event)).toEqual(['image_edit.completed'])
    expect(JSON.parse(miss[0]?.data ?? '{}').type).toBe('image_edit.completed')
    await settled()
    const hit = await postEdit(
      sameEdit([
        ['stream', 'true'],
        ['response_format', 'url'],
      ]),
    )
    expect(hit.headers.get('x-cache')).toBe('HIT')
    const events = await readEvents(hit)
    expect(events.map((e) => e.event)).toEqual(['image_edit.completed'])
    expect(JSON.parse(events[0]?.data ?? '{}')).toMatchObject({
      type: 'image_edit.completed',
      url: expect.stringMatching(/\/v1\/images\/[0-9a-f]{32}\.png$/),
    })
  })
})

describe('cache', () => {
  it('answers an identical edit from the cache, with no upstream call, in either form', async () => {
    const fake = fakeUpstream()
    const miss = await postEdit(sameEdit())
    expect(miss.headers.get('x-cache')).toBe('MISS')
    const body = await miss.json()
    await settled()
    const hit = await postEdit(sameEdit())
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(await hit.json()).toEqual(body)
    // The same pictures by data: URL are the same edit.
    const json = await postEdit({
      prompt,
      images: [{ image_url: dataUrl(first) }, { image_url: dataUrl(second) }],
      mask: { image_url: dataUrl(mask) },
    })
    expect(json.headers.get('x-cache')).toBe('HIT')
    expect(fake.calls).toHaveLength(1)
  })

  it.each([
    [
      'the pictures in another order',
      form([
        ['image[]', file(second)],
        ['image[]', file(first)],
        ['mask', file(mask)],
        ['prompt', prompt],
      ]),
    ],
    [
      'no mask',
      form([
        ['image[]', file(first)],
        ['image[]', file(second)],
        ['prompt', prompt],
      ]),
    ],
    [
      'another picture',
      form([
        ['image[]', file(png(16, 16, true))],
        ['image[]', file(second)],
        ['mask', file(mask)],
        ['prompt', prompt],
      ]),
    ],
    ['high fidelity', sameEdit([['input_fidelity', 'high']])],
  ])('is a new edit with %s', async (_label, other) => {
    const fake = fakeUpstream()
    await (await postEdit(sameEdit())).arrayBuffer()
    await settled()
    expect((await postEdit(other)).headers.get('x-cache')).toBe('MISS')
    expect(fake.calls).toHaveLength(2)
  })

  it('does not split on what does not change the picture, nor meet a generation', async () => {
    const fake = fakeUpstream()
    await (await postEdit(sameEdit())).arrayBuffer()
    await settled()
    const again = await postEdit(
      sameEdit([
        ['user', 'someone'],
        ['response_format', 'url'],
      ]),
    )
    expect(again.headers.get('x-cache')).toBe('HIT')
    expect(fake.calls).toHaveLength(1)
    expect(await storedKeys('manifests/')).toHaveLength(1)
  })
})

describe('coalescing', () => {
  it('gives concurrent identical edits one upstream call and the same images', async () => {
    const release = gate()
    const fake = fakeUpstream().reply({
      kind: 'held',
      until: release.opened,
      reply: { kind: 'success' },
    })
    const answering = Promise.all(Array.from({ length: 5 }, () => postEdit(sameEdit())))
    await joined(5) // all five wait on the one edit, whose upstream call is held
    release.open()
    const answers = await answering
    const images = await Promise.all(
      answers.map(
        async (res) => ((await res.json()) as { data: { b64_json: string }[] }).data[0]?.b64_json,
      ),
    )
    expect(fake.calls).toHaveLength(1)
    for (const image of images) expect(image).toBe(images[0])
    await settled()
    expect(await storedKeys('manifests/')).toHaveLength(1)
  })
})

describe('temporary pictures', () => {
  it('are deleted once used: after a miss, a hit, and for requests that joined another', async () => {
    const release = gate()
    fakeUpstream().reply({ kind: 'held', until: release.opened, reply: { kind: 'success' } })
    const answering = Promise.all([postEdit(sameEdit()), postEdit(sameEdit())])
    await joined(2) // the second joined the first
    release.open()
    const answers = await answering
    for (const res of answers) await res.arrayBuffer()
    await settled()
    expect(await storedKeys('inputs/')).toEqual([])
    await (await postEdit(sameEdit())).arrayBuffer()
    await settled()
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('are deleted when the upstream fails too', async () => {
    fakeUpstream().reply({
      kind: 'json',
      status: 400,
      body: { error: { code: 'bad', message: 'x' } },
    })
    expect((await postEdit(sameEdit())).status).toBe(400)
    await settled()
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('are kept with KEEP_EDIT_INPUTS=true', async () => {
    fakeUpstream()
    const env = { ...ENVS.remote, KEEP_EDIT_INPUTS: 'true' }
    await (await postEdit(sameEdit(), { env })).arrayBuffer()
    await settled()
    const kept = await storedKeys('inputs/')
    expect(kept).toHaveLength(3)
    // The result's manifest lists them: the pictures in order, then the mask (picture 16).
    const [manifest] = await manifests()
    expect(manifest?.inputs).toEqual(kept)
    expect(manifest?.inputs?.[2]).toMatch(/\/16$/)
  })

  it('are not listed in the result when they are not kept', async () => {
    fakeUpstream()
    await (await postEdit(sameEdit())).arrayBuffer()
    await settled()
    const [manifest] = await manifests()
    expect(manifest?.images).toHaveLength(1)
    expect(manifest).not.toHaveProperty('inputs')
  })
})
