/**
 * Azure's `api_version: "v1"` entry through the gateway: the v1 route with `model` set to the
 * deployment and the key in `api-key`, a generation and a stream with partial images in OpenAI's
 * shapes, and what only the classic route refuses (moderation) routed to it.
 */
import { describe, expect, it } from 'vitest'
import { TINY_PNG_B64 } from '../fakes/upstream'
import { generate } from '../helpers/gateway'
import { type PoolFakes, poolFakes } from '../helpers/pool'
import { readEvents } from '../helpers/sse'

const prompt = (label: string) => `${label} ${crypto.randomUUID()}`

/** The helper's pool of Azure alone, its entry on the v1 route. */
function v1Env(fakes: PoolFakes) {
  const [entry] = JSON.parse(fakes.env(['azure']).UPSTREAMS as string) as Record<string, unknown>[]
  return fakes.env(['azure'], { UPSTREAMS: JSON.stringify([{ ...entry, api_version: 'v1' }]) })
}

describe('an Azure entry on the v1 route', () => {
  it('serves a generation in OpenAI’s shape, calling /openai/v1 with the deployment as model', async () => {
    const fakes = poolFakes()
    const res = await generate(
      { model: 'gpt-image-1', prompt: prompt('v1'), size: '1024x1024', moderation: 'low' },
      { env: v1Env(fakes) },
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('x-upstream')).toBe('remote')
    const body = (await res.json()) as Record<string, unknown>
    expect(body.data).toEqual([{ b64_json: TINY_PNG_B64 }])
    expect(body).toMatchObject({ size: '1024x1024', usage: { total_tokens: 1106 } })
    expect(fakes.azure.calls).toHaveLength(1)
    const [call] = fakes.azure.calls
    expect(call?.path).toBe('/openai/v1/images/generations')
    expect(call?.apiVersion).toBeNull()
    expect(call?.deployment).toBe('img1')
    expect(call?.body).toMatchObject({ model: 'img1', moderation: 'low' })
    expect(call?.headers['api-key']).toBeDefined()
    expect(call?.headers.authorization).toBeUndefined()
    expect(call?.answered).toBe(200)
  })

  it('streams partial images as OpenAI’s events', async () => {
    const fakes = poolFakes()
    const res = await generate(
      { model: 'gpt-image-1', prompt: prompt('v1 stream'), stream: true, partial_images: 2 },
      { env: v1Env(fakes) },
    )
    expect(res.status).toBe(200)
    const events = await readEvents(res)
    const partials = Array(2).fill('image_generation.partial_image')
    expect(events.map((event) => event.event)).toEqual([...partials, 'image_generation.completed'])
    expect(JSON.parse(events.at(-1)?.data ?? '{}')).toMatchObject({
      b64_json: TINY_PNG_B64,
      output_format: 'png',
    })
    const [call] = fakes.azure.calls
    expect(call?.path).toBe('/openai/v1/images/generations')
    expect(call?.body).toMatchObject({ model: 'img1', stream: true, partial_images: 2 })
  })

  it('the classic route refuses the moderation "low" the v1 route took (400, no call)', async () => {
    const fakes = poolFakes()
    const classic = await generate(
      { model: 'gpt-image-1', prompt: prompt('classic'), moderation: 'low' },
      { env: fakes.env(['azure']) },
    )
    expect(classic.status).toBe(400)
    expect(((await classic.json()) as { error: { param: string } }).error.param).toBe('moderation')
    expect(fakes.azure.calls).toHaveLength(0)
  })
})
