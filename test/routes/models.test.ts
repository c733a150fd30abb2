/** GET /v1/models: OpenAI's list shape with each model's capabilities, filtered like the validator. */
import { describe, expect, it } from 'vitest'
import { MODELS } from '../../src/models'
import { callGateway, fakeUpstream } from '../helpers/gateway'
import { sdk } from '../helpers/sdk'

interface ModelList {
  object: string
  data: {
    id: string
    object: string
    created: number
    capabilities: { sizes: unknown; transparent_background: boolean }
  }[]
  gateway: { upstream: string; output_formats: string[]; anonymous_access: boolean }
}

describe('GET /v1/models', () => {
  it('lists every model with the registry capabilities, without a key', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/models')
    expect(res.status).toBe(200)
    const body = (await res.json()) as ModelList
    expect(body.object).toBe('list')
    expect(body.data.map((m) => m.id)).toEqual(Object.keys(MODELS))
    const two = body.data.find((m) => m.id === 'gpt-image-2')
    expect(two?.capabilities.sizes).toEqual(MODELS['gpt-image-2'].sizes)
    expect(two?.capabilities.transparent_background).toBe(false)
    expect(two?.created).toBe(Date.UTC(2026, 3, 21) / 1000)
    expect(body.gateway).toMatchObject({
      upstream: 'remote',
      output_formats: ['auto', 'png', 'jpeg', 'webp'],
      anonymous_access: false,
    })
  })

  it('offers only ALLOWED_MODELS, and the demo’s own formats', async () => {
    fakeUpstream()
    const body = (await (
      await callGateway('/v1/models', { env: { ALLOWED_MODELS: 'gpt-image-2' } })
    ).json()) as ModelList
    expect(body.data.map((m) => m.id)).toEqual(['gpt-image-2'])
    expect(body.gateway).toMatchObject({
      upstream: 'demo',
      output_formats: ['auto', 'png', 'jpeg'],
      anonymous_access: true,
    })
    expect(
      (await callGateway('/v1/models/gpt-image-1', { env: { ALLOWED_MODELS: 'gpt-image-2' } }))
        .status,
    ).toBe(404)
  })

  it('works with the openai SDK', async () => {
    fakeUpstream()
    const client = sdk({ apiKey: 'x' })
    const ids: string[] = []
    for await (const model of client.models.list()) ids.push(model.id)
    expect(ids).toEqual(Object.keys(MODELS))
    expect((await client.models.retrieve('gpt-image-1.5')).owned_by).toBe('openai')
  })
})
