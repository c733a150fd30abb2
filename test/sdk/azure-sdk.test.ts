/**
 * The official openai SDK, unchanged but for its baseURL, through a pool whose only upstream is
 * an Azure OpenAI resource: generations, a stream with partial images, an edit (multipart on
 * Azure's deployment route) and a content filter, each as the SDK reads OpenAI.
 */
import OpenAI, { toFile } from 'openai'
import { describe, expect, it } from 'vitest'
import { TINY_PNG_B64 } from '../fakes/upstream'
import { jpeg, png } from '../helpers/edits'
import { poolFakes } from '../helpers/pool'
import { sdk } from '../helpers/sdk'

describe('openai SDK through an Azure upstream', () => {
  it('generates, with usage', async () => {
    const fakes = poolFakes()
    const result = await sdk({ env: fakes.env(['azure']) }).images.generate({
      model: 'gpt-image-1',
      prompt: 'a red fox, by Azure',
      n: 2,
    })
    expect(result.data?.map((d) => d.b64_json)).toEqual([TINY_PNG_B64, TINY_PNG_B64])
    expect(result.usage?.total_tokens).toBe(1106)
    expect(fakes.azure.calls[0]?.path).toBe('/openai/deployments/img1/images/generations')
  })

  it('streams partial images', async () => {
    const fakes = poolFakes()
    const stream = await sdk({ env: fakes.env(['azure']) }).images.generate({
      model: 'gpt-image-1-mini',
      prompt: 'a fox in the snow, by Azure',
      stream: true,
      partial_images: 2,
    })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    expect(types).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(fakes.azure.calls[0]?.deployment).toBe('mini')
  })

  it('edits two pictures, streamed, as multipart to the deployment', async () => {
    const fakes = poolFakes()
    const stream = await sdk({ env: fakes.env(['azure']) }).images.edit({
      model: 'gpt-image-1',
      image: [await toFile(png(32, 32), 'room.png'), await toFile(jpeg(32, 32), 'light.jpg')],
      prompt: 'the same room, in autumn light, by Azure',
      stream: true,
      partial_images: 1,
    })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    expect(types).toEqual(['image_edit.partial_image', 'image_edit.completed'])
    const [call] = fakes.azure.calls
    expect(call?.path).toBe('/openai/deployments/img1/images/edits')
    expect(call?.files?.map((f) => f.field)).toEqual(['image[]', 'image[]'])
    expect(call?.body.model).toBeUndefined()
  })

  it('reports Azure’s content filter as OpenAI’s moderation_blocked BadRequestError', async () => {
    const fakes = poolFakes()
    fakes.azure.reply({ kind: 'content_filter', shape: 'content_policy_violation' })
    const error = await sdk({ env: fakes.env(['azure']) })
      .images.generate({ model: 'gpt-image-1', prompt: 'something filtered' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('moderation_blocked')
  })
})
