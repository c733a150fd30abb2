/**
 * The official openai SDK's `client.images.edit` against the gateway, unchanged but for its
 * baseURL: pictures with `toFile`, streamed with partial images from a real-shaped upstream and
 * from the demo, a repeat answered from the cache, and a refusal as the SDK reports it.
 */
import OpenAI, { toFile } from 'openai'
import { describe, expect, it } from 'vitest'
import { imageStreamFrames } from '../fakes/upstream'
import { jpeg, png } from '../helpers/edits'
import { ENVS, fakeUpstream, settled } from '../helpers/gateway'
import { sdk } from '../helpers/sdk'

const prompt = 'the same room, in autumn light'

describe('openai SDK images.edit against the gateway', () => {
  it('streams partial images and the edit from a real-shaped upstream', async () => {
    const fake = fakeUpstream().reply({ kind: 'sse', frames: imageStreamFrames(2, 'image_edit') })
    const stream = await sdk().images.edit({
      image: [await toFile(png(32, 32), 'room.png'), await toFile(jpeg(32, 32), 'light.jpg')],
      prompt,
      stream: true,
      partial_images: 2,
    })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    expect(types).toEqual([
      'image_edit.partial_image',
      'image_edit.partial_image',
      'image_edit.completed',
    ])
    expect(fake.calls[0]?.files?.map((f) => f.field)).toEqual(['image[]', 'image[]'])
  })

  it('answers an identical second edit from the cache, with no upstream call', async () => {
    const fake = fakeUpstream()
    const edit = async () =>
      sdk()
        .images.edit({ image: await toFile(png(), 'a.png'), prompt, n: 2 })
        .withResponse()
    const miss = await edit()
    expect(miss.data.data).toHaveLength(2)
    await settled()
    const hit = await edit()
    expect(hit.response.headers.get('x-cache')).toBe('HIT')
    expect(hit.data).toEqual(miss.data)
    expect(fake.calls).toHaveLength(1)
  })

  it('edits with the demo generator, with partial images and a mask', async () => {
    fakeUpstream()
    const stream = await sdk({ env: ENVS.demo, apiKey: 'anything' }).images.edit({
      image: [await toFile(png(64, 32), 'wide.png'), await toFile(png(16, 16), 'b.png')],
      mask: await toFile(png(64, 32, true), 'mask.png'),
      prompt,
      stream: true,
      partial_images: 2,
    })
    const events = []
    for await (const event of stream) events.push(event)
    expect(events.map((e) => e.type)).toEqual([
      'image_edit.partial_image',
      'image_edit.partial_image',
      'image_edit.completed',
    ])
    const done = events[2] as OpenAI.Images.ImageEditCompletedEvent
    expect(done.size).toBe('1536x1024') // size auto follows the wide input
    expect(done.b64_json.length).toBeGreaterThan(1000)
  })

  it('reports a picture that is not one as a BadRequestError naming image', async () => {
    const fake = fakeUpstream()
    const error = await sdk()
      .images.edit({ image: await toFile(new TextEncoder().encode('hello'), 'a.png'), prompt })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error).toMatchObject({ status: 400, param: 'image', code: 'invalid_image_format' })
    expect(fake.calls).toHaveLength(0)
  })
})
