/** The OpenAPI document: generated from the zod schemas, and true to what the gateway answers. */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { VARIANT_FIELDS } from '../../shared/embed-fields.js'
import { EMBED_FIELDS } from '../../src/embed/embed-request'
import { app } from '../../src/index'
import { imageRequestSchema } from '../../src/schema/image-request'
import {
  errorEnvelopeSchema,
  imagesResponseSchema,
  streamEventSchema,
} from '../../src/schema/responses'
import { imageStreamFrames } from '../fakes/upstream'
import { callGateway, fakeUpstream, generate } from '../helpers/gateway'
import { readEvents } from '../helpers/sse'

interface Operation {
  summary?: string
  parameters?: { name: string; in: string }[]
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }
  responses: Record<string, { content?: Record<string, unknown> }>
}

interface Doc {
  openapi: string
  paths: Record<string, Record<string, Operation>>
}

/** How @hono/zod-openapi renders a request body schema. */
function rendered(schema: z.ZodType): unknown {
  const probe = new OpenAPIHono()
  const route = createRoute({
    method: 'post',
    path: '/probe',
    request: { body: { content: { 'application/json': { schema } } } },
    responses: { 200: { description: 'ok' } },
  })
  probe.openapi(route, (c) => c.json({}, 200))
  const doc = probe.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'p', version: '1' } })
  const body = doc.paths?.['/probe']?.post?.requestBody
  return body && 'content' in body ? body.content['application/json']?.schema : undefined
}

async function document(): Promise<Doc> {
  fakeUpstream()
  return (await (await callGateway('/openapi.json')).json()) as Doc
}

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with the request contract straight from the zod schema', async () => {
    fakeUpstream()
    const doc = (await (await callGateway('/openapi.json')).json()) as Doc
    expect(doc.openapi).toBe('3.1.0')
    const request =
      doc.paths['/v1/images/generations']?.post?.requestBody?.content['application/json']?.schema
    // Exactly what the generator makes of the zod schema the route validates with: nothing in the
    // document is written by hand. (z.toJSONSchema writes nullable fields as anyOf, the OpenAPI
    // generator as a type list: the same schema, so the generator itself is the reference.)
    expect(request).toEqual(rendered(imageRequestSchema))
    expect(request?.additionalProperties).toBe(false)
    expect(Object.keys(request?.properties as object)).toContain('response_format')
    for (const path of ['/v1/images/{file}', '/v1/images/embed', '/v1/models', '/v1/usage'])
      expect(doc.paths[path]).toBeDefined()
  })

  it('documents every route the worker serves, and nothing else', async () => {
    const doc = await document()
    const served = new Set(
      app.routes
        .filter((route) => route.method !== 'ALL' && route.path !== '/openapi.json')
        .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`),
    )
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    )
    expect(new Set(documented)).toEqual(served)
    expect(documented).toEqual(
      expect.arrayContaining([
        'post /v1/images/generations',
        'post /v1/images/edits',
        'get /v1/images/embed',
        'post /v1/images/embed/sign',
        'get /v1/images/{file}',
        'get /v1/models',
        'get /v1/models/{id}',
        'get /v1/usage',
        'get /v1/admin/keys',
        'post /v1/admin/keys',
        'post /v1/admin/keys/{id}/revoke',
        'post /v1/admin/keys/{id}/credit',
      ]),
    )
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.summary, `${method} ${path}`).toBeTruthy()
        // Every error is an OpenAI envelope, except a bare 416 (no body, RFC 9110 §15.5.17).
        const errors = Object.entries(operation.responses).filter(
          ([status]) => status >= '400' && status !== '416',
        )
        for (const [status, response] of errors)
          expect(response.content, `${method} ${path} ${status}`).toHaveProperty('application/json')
      }
    }
  })

  it('documents the real fields: all nine of the sign body, every embed query parameter', async () => {
    const doc = await document()
    const sign = doc.paths['/v1/images/embed/sign']?.post?.requestBody?.content['application/json']
    expect(Object.keys(sign?.schema.properties as object).sort()).toEqual(
      [...EMBED_FIELDS, 'expires_in'].sort(),
    )
    expect(sign?.schema.additionalProperties).toBe(false)
    const query = doc.paths['/v1/images/embed']?.get?.parameters?.map((p) => p.name)
    expect(query?.sort()).toEqual(
      [...EMBED_FIELDS, ...VARIANT_FIELDS, 'sig', 'exp', 'key', 'stream'].sort(),
    )
    const variants = doc.paths['/v1/images/{file}']?.get?.parameters?.filter(
      (p) => p.in === 'query',
    )
    expect(variants?.map((p) => p.name).sort()).toEqual([...VARIANT_FIELDS].sort())
    const file = doc.paths['/v1/images/{file}']?.get?.parameters?.find((p) => p.in === 'path')
    expect(file).toMatchObject({ name: 'file', schema: { pattern: expect.any(String) } })
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
