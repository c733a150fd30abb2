/**
 * Azure translated exactly, as tables: the URL, headers and body each route gets, what each entry
 * can serve (never a silent change), and the fields Azure's answers lack echoed from the request.
 */
import { describe, expect, it } from 'vitest'
import { withRequestFields } from '../../src/pool/azure-meta'
import { eligibleEntries, needsOf, unsupported } from '../../src/pool/support'
import { prepareCall } from '../../src/pool/upstream-call'
import type { PoolEntry } from '../../src/pool-config/entry'
import { type EditFields, editUpstreamFields, normalizeEdit } from '../../src/schema/edit-request'
import { type ImageRequest, normalize, upstreamFields } from '../../src/schema/image-request'
import type { UpstreamPayload } from '../../src/upstream/payload'
import { azureEntry, openaiEntry } from './entries'

const PICTURE = { sha256: 'a'.repeat(64), bytes: 100, format: 'png' as const, width: 8, height: 8 }

function generation(req: ImageRequest) {
  return {
    request: normalize(req),
    payload: { kind: 'generation', fields: upstreamFields(req) } as const,
  }
}

function edit(fields: EditFields, format: 'png' | 'jpeg' | 'webp' = 'png') {
  const request = normalizeEdit(fields, { images: [{ ...PICTURE, format }], mask: null })
  const payload: UpstreamPayload = {
    kind: 'edit',
    fields: editUpstreamFields(fields),
    files: [
      { field: 'image', filename: 'a.png', contentType: 'image/png', bytes: 100, object: 'o' },
    ],
  }
  return { request, payload }
}

describe('prepareCall', () => {
  const body = {
    prompt: 'a red circle',
    n: 2,
    moderation: 'auto' as const,
    output_format: 'png' as const,
  }

  it('openai: the base URL, a Bearer key, the body as the client set it', () => {
    const { payload } = generation(body)
    expect(prepareCall(openaiEntry(), payload)).toEqual({
      url: 'https://api.openai.test/v1/images/generations',
      headers: { authorization: 'Bearer sk-openai' },
      payload,
      redirect: 'follow',
    })
  })

  it('azure classic: deployment in the path, api-version, api-key; no model, no default moderation', () => {
    const call = prepareCall(azureEntry(), generation(body).payload)
    expect(call.url).toBe(
      'https://res-east.openai.azure.com/openai/deployments/img1/images/generations?api-version=2025-04-01-preview',
    )
    expect(call.headers).toEqual({ 'api-key': 'az-key' })
    expect(call.redirect).toBe('manual')
    expect(call.payload).toEqual({
      kind: 'generation',
      fields: { n: 2, output_format: 'png' },
    })
  })

  it('azure v1: the v1 route with model = deployment, moderation kept, still api-key', () => {
    const call = prepareCall(
      azureEntry({ apiVersion: 'v1' }),
      generation({ ...body, moderation: 'low' }).payload,
    )
    expect(call.url).toBe('https://res-east.openai.azure.com/openai/v1/images/generations')
    expect(call.headers).toEqual({ 'api-key': 'az-key' })
    expect(call.payload).toEqual({
      kind: 'generation',
      fields: {
        model: 'img1',
        n: 2,
        moderation: 'low',
        output_format: 'png',
      },
    })
  })

  it('edits: the same on multipart fields, files untouched; an explicit b64_json is dropped', () => {
    const { payload } = edit({ prompt: 'hat', model: 'gpt-image-1', input_fidelity: 'high' })
    const withFormat: UpstreamPayload =
      payload.kind === 'edit'
        ? { ...payload, fields: [...payload.fields, ['response_format', 'b64_json']] }
        : payload
    const classic = prepareCall(azureEntry(), withFormat)
    expect(classic.url).toBe(
      'https://res-east.openai.azure.com/openai/deployments/img1/images/edits?api-version=2025-04-01-preview',
    )
    expect(classic.payload).toMatchObject({
      fields: [['input_fidelity', 'high']],
      files: [{ field: 'image' }],
    })
    const v1 = prepareCall(azureEntry({ apiVersion: 'v1' }), withFormat)
    expect(v1.url).toBe('https://res-east.openai.azure.com/openai/v1/images/edits')
    expect(v1.payload).toMatchObject({
      fields: [
        ['model', 'img1'],
        ['input_fidelity', 'high'],
      ],
    })
  })

  it('a deployment name is escaped in the path; a model without one is a routing bug', () => {
    const entry = azureEntry({ deployments: { 'gpt-image-1': 'img.1_a-b' } })
    expect(prepareCall(entry, generation(body).payload).url).toContain('/deployments/img.1_a-b/')
    const noDeployment = generation({ ...body, model: 'gpt-image-2' }).payload
    expect(() => prepareCall(entry, noDeployment)).toThrow(/no deployment for gpt-image-2/)
  })
})

describe('unsupported and eligibleEntries', () => {
  const cases: [string, ReturnType<typeof generation>, PoolEntry, string | null][] = [
    ['openai serves webp', generation({ prompt: 'p', output_format: 'webp' }), openaiEntry(), null],
    [
      'azure refuses webp',
      generation({ prompt: 'p', output_format: 'webp' }),
      azureEntry(),
      'output_format',
    ],
    ['azure png by default', generation({ prompt: 'p' }), azureEntry(), null],
    ['no deployment', generation({ prompt: 'p', model: 'gpt-image-1.5' }), azureEntry(), 'model'],
    [
      'model not listed',
      generation({ prompt: 'p', model: 'gpt-image-2' }),
      openaiEntry({ models: ['gpt-image-1'] }),
      'model',
    ],
    [
      'azure custom size',
      generation({ prompt: 'p', model: 'gpt-image-2', size: '2048x2048' }),
      azureEntry({ models: ['gpt-image-2'], deployments: { 'gpt-image-2': 'g2' } }),
      'size',
    ],
    [
      'azure classic moderation low',
      generation({ prompt: 'p', moderation: 'low' }),
      azureEntry(),
      'moderation',
    ],
    [
      'azure classic moderation auto',
      generation({ prompt: 'p', moderation: 'auto' }),
      azureEntry(),
      null,
    ],
    [
      'azure v1 moderation low',
      generation({ prompt: 'p', moderation: 'low' }),
      azureEntry({ apiVersion: 'v1' }),
      null,
    ],
    [
      'n above capacity',
      generation({ prompt: 'p', n: 6 }),
      openaiEntry({ imagesPerMinute: 5 }),
      'n',
    ],
    ['n at capacity', generation({ prompt: 'p', n: 5 }), openaiEntry({ imagesPerMinute: 5 }), null],
    [
      'url answers are ours',
      generation({ prompt: 'p', response_format: 'url' }),
      azureEntry(),
      null,
    ],
    [
      'explicit b64_json',
      generation({ prompt: 'p', response_format: 'b64_json' }),
      azureEntry(),
      null,
    ],
  ]

  it.each(cases)('%s', (_, { request, payload }, entry, param) => {
    expect(unsupported(entry, needsOf(request, payload))?.param ?? null).toBe(param)
  })

  it('edits: input_fidelity on mini, webp pictures', () => {
    const mini = edit({ prompt: 'p', model: 'gpt-image-1-mini', input_fidelity: 'low' })
    expect(unsupported(azureEntry(), needsOf(mini.request, mini.payload))?.param).toBe(
      'input_fidelity',
    )
    expect(unsupported(openaiEntry(), needsOf(mini.request, mini.payload))).toBeNull()
    const plainMini = edit({ prompt: 'p', model: 'gpt-image-1-mini' })
    expect(unsupported(azureEntry(), needsOf(plainMini.request, plainMini.payload))).toBeNull()
    const webp = edit({ prompt: 'p' }, 'webp')
    expect(unsupported(azureEntry(), needsOf(webp.request, webp.payload))?.param).toBe('image')
    const jpeg = edit({ prompt: 'p' }, 'jpeg')
    expect(unsupported(azureEntry(), needsOf(jpeg.request, jpeg.payload))).toBeNull()
  })

  it('routes to those that can; refuses with a 400 naming the parameter only if none can', () => {
    const { request, payload } = generation({ prompt: 'p', output_format: 'webp' })
    const needs = needsOf(request, payload)
    const both = eligibleEntries([azureEntry(), openaiEntry()], needs)
    expect(both).toEqual({ eligible: [openaiEntry()] })
    const azureOnly = eligibleEntries([azureEntry(), azureEntry({ name: 'azure-west' })], needs)
    expect(azureOnly).toEqual({
      refused: {
        kind: 'invalid_request',
        param: 'output_format',
        code: 'unsupported_value',
        message: expect.stringMatching(/'png' or 'jpeg'/),
      },
    })
    expect(JSON.stringify(azureOnly)).not.toMatch(/azure/i)
  })

  it('prefers the reason of an entry that serves the model over "no such model"', () => {
    const { request, payload } = generation({
      prompt: 'p',
      model: 'gpt-image-1',
      output_format: 'webp',
    })
    const pool = [openaiEntry({ models: ['gpt-image-2'] }), azureEntry()]
    expect(eligibleEntries(pool, needsOf(request, payload))).toMatchObject({
      refused: { param: 'output_format' },
    })
    const nobody = generation({ prompt: 'p', model: 'gpt-image-1.5' })
    expect(eligibleEntries(pool, needsOf(nobody.request, nobody.payload))).toMatchObject({
      refused: { param: 'model' },
    })
  })
})

describe('withRequestFields', () => {
  it('echoes what the request fixed and the answer left out; keeps what it reported', () => {
    const { request } = generation({ prompt: 'p', size: '1024x1536', quality: 'high' })
    expect(withRequestFields({ created: 1 }, request)).toEqual({
      created: 1,
      size: '1024x1536',
      quality: 'high',
      output_format: 'png',
    })
    expect(withRequestFields({ quality: 'low', output_format: 'png' }, request)).toEqual({
      quality: 'low',
      output_format: 'png',
      size: '1024x1536',
    })
    const auto = generation({ prompt: 'p', output_format: 'jpeg' }).request
    expect(withRequestFields({}, auto)).toEqual({ output_format: 'jpeg' })
  })
})
