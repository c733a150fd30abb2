/** The OpenAPI document: generated from the zod schemas, and true to what the gateway answers. */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { imageRequestSchema } from '../../src/schema/image-request'
import {
  errorEnvelopeSchema,
  imagesResponseSchema,
  streamEventSchema,
} from '../../src/schema/responses'
import { imageStreamFrames } from '../fakes/upstream'
import { callGateway, fakeUpstream, generate } from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

interface Doc {
  openapi: string
  paths: Record<
    string,
    Record<
      string,
      { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }
    >
  >
}

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with the request contract straight from the zod schema', async () => {
    fakeUpstream()
    const doc = (await (await callGateway('/openapi.json')).json()) as Doc
    expect(doc.openapi).toBe('3.1.0')
    const request =
      doc.paths['/v1/images/generations']?.post?.requestBody?.content['application/json']?.schema
    const { $schema: _, ...expected } = z.toJSONSchema(imageRequestSchema, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>
    expect(request).toEqual(expected)
    expect(request?.additionalProperties).toBe(false)
    expect(Object.keys(request?.properties as object)).toContain('response_format')
    for (const path of ['/v1/images/{file}', '/v1/images/embed', '/v1/models', '/v1/usage'])
      expect(doc.paths[path]).toBeDefined()
  })

  it('describes what the gateway really answers', async () => {
    fakeUpstream().reply({ kind: 'sse', frames: imageStreamFrames(1) })
    const events = await readEvents(
      await generate({ prompt: 'a fox', stream: true, partial_images: 1 }),
    )
    for (const event of events) streamEventSchema.parse(JSON.parse(event.data))
    imagesResponseSchema.parse(await (await generate({ prompt: 'another fox' })).json())
    errorEnvelopeSchema.parse(await (await generate({})).json())
  })
})
