/**
 * Every row of the seed's parameter table, both sides of every limit, through the whole gateway:
 * a bad request gets a 400 envelope naming the parameter and never reaches the upstream.
 */
import { describe, expect, it } from 'vitest'
import { fakeUpstream, generate } from '../helpers/gateway'

const prompt = 'a lighthouse at dawn'

/** [label, body, param, code] */
const invalid: [string, unknown, string | null, string][] = [
  ['missing prompt', {}, 'prompt', 'missing_required_parameter'],
  ['empty prompt', { prompt: '' }, 'prompt', 'empty_string'],
  [
    'prompt of 32001 characters',
    { prompt: 'a'.repeat(32_001) },
    'prompt',
    'string_above_max_length',
  ],
  ['prompt not a string', { prompt: 42 }, 'prompt', 'invalid_type'],
  ['unknown model', { prompt, model: 'dall-e-3' }, 'model', 'invalid_value'],
  ['model not a string', { prompt, model: 1 }, 'model', 'invalid_type'],
  ['n = 0', { prompt, n: 0 }, 'n', 'integer_below_min_value'],
  ['n = 11', { prompt, n: 11 }, 'n', 'integer_above_max_value'],
  ['n = 1.5', { prompt, n: 1.5 }, 'n', 'invalid_type'],
  ['n as a string', { prompt, n: '2' }, 'n', 'invalid_type'],
  ['size 2048x2048 on gpt-image-1', { prompt, size: '2048x2048' }, 'size', 'invalid_size'],
  [
    'size 1024x640 on gpt-image-1-mini',
    { prompt, model: 'gpt-image-1-mini', size: '1024x640' },
    'size',
    'invalid_size',
  ],
  [
    'size 3840x2160 on gpt-image-1.5',
    { prompt, model: 'gpt-image-1.5', size: '3840x2160' },
    'size',
    'invalid_size',
  ],
  [
    'size 1000x1000 on gpt-image-2',
    { prompt, model: 'gpt-image-2', size: '1000x1000' },
    'size',
    'invalid_size',
  ],
  [
    'size 1008x640 on gpt-image-2',
    { prompt, model: 'gpt-image-2', size: '1008x640' },
    'size',
    'invalid_size',
  ],
  [
    'size 3840x2176 on gpt-image-2',
    { prompt, model: 'gpt-image-2', size: '3840x2176' },
    'size',
    'invalid_size',
  ],
  [
    'size 4096x1024 on gpt-image-2',
    { prompt, model: 'gpt-image-2', size: '4096x1024' },
    'size',
    'invalid_size',
  ],
  [
    'size 2528x832 on gpt-image-2',
    { prompt, model: 'gpt-image-2', size: '2528x832' },
    'size',
    'invalid_size',
  ],
  ['size not a string', { prompt, size: 1024 }, 'size', 'invalid_type'],
  ['quality ultra', { prompt, quality: 'ultra' }, 'quality', 'invalid_value'],
  [
    'quality standard (a DALL-E value)',
    { prompt, quality: 'standard' },
    'quality',
    'invalid_value',
  ],
  ['background white', { prompt, background: 'white' }, 'background', 'invalid_value'],
  [
    'transparent on gpt-image-2',
    { prompt, model: 'gpt-image-2', background: 'transparent' },
    'background',
    'unsupported_value',
  ],
  [
    'transparent with jpeg',
    { prompt, background: 'transparent', output_format: 'jpeg' },
    'background',
    'unsupported_value',
  ],
  ['moderation high', { prompt, moderation: 'high' }, 'moderation', 'invalid_value'],
  ['output_format gif', { prompt, output_format: 'gif' }, 'output_format', 'invalid_value'],
  [
    'output_compression -1',
    { prompt, output_format: 'jpeg', output_compression: -1 },
    'output_compression',
    'integer_below_min_value',
  ],
  [
    'output_compression 101',
    { prompt, output_format: 'jpeg', output_compression: 101 },
    'output_compression',
    'integer_above_max_value',
  ],
  [
    'output_compression 50.5',
    { prompt, output_format: 'webp', output_compression: 50.5 },
    'output_compression',
    'invalid_type',
  ],
  [
    'output_compression with png',
    { prompt, output_format: 'png', output_compression: 50 },
    'output_compression',
    'unsupported_parameter',
  ],
  [
    'output_compression with auto format',
    { prompt, output_compression: 50 },
    'output_compression',
    'unsupported_parameter',
  ],
  ['stream as a string', { prompt, stream: 'true' }, 'stream', 'invalid_type'],
  [
    'partial_images -1',
    { prompt, stream: true, partial_images: -1 },
    'partial_images',
    'integer_below_min_value',
  ],
  [
    'partial_images 4',
    { prompt, stream: true, partial_images: 4 },
    'partial_images',
    'integer_above_max_value',
  ],
  [
    'partial_images without stream',
    { prompt, partial_images: 2 },
    'partial_images',
    'unsupported_parameter',
  ],
  [
    'partial_images with stream false',
    { prompt, stream: false, partial_images: 1 },
    'partial_images',
    'unsupported_parameter',
  ],
  ['user not a string', { prompt, user: 7 }, 'user', 'invalid_type'],
  ['an unknown field', { prompt, style: 'vivid' }, 'style', 'unknown_parameter'],
  [
    'response_format base64',
    { prompt, response_format: 'base64' },
    'response_format',
    'invalid_value',
  ],
  ['a JSON array body', [{ prompt }], null, 'invalid_type'],
  ['a JSON string body', 'a red fox', null, 'invalid_type'],
  ['a JSON null body', null, null, 'invalid_type'],
]

describe('invalid requests get a 400 naming the parameter and cost nothing', () => {
  it.each(invalid)('%s', async (_label, body, param, code) => {
    const fake = fakeUpstream()
    const res = await generate(body)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(res.headers.get('x-should-retry')).toBe('false')
    const { error } = (await res.json()) as { error: Record<string, unknown> }
    expect(error).toMatchObject({ type: 'invalid_request_error', param, code })
    expect(typeof error.message).toBe('string')
    expect((error.message as string).length).toBeGreaterThan(10)
    expect(fake.calls).toEqual([])
  })

  it('explains what to change in the messages', async () => {
    fakeUpstream()
    const read = async (body: unknown) =>
      ((await (await generate(body)).json()) as { error: { message: string } }).error.message
    expect(await read({})).toBe("Missing required parameter: 'prompt'.")
    expect(await read({ prompt, style: 'vivid' })).toBe("Unknown parameter: 'style'.")
    expect(await read({ prompt, n: 11 })).toBe(
      "Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead.",
    )
    expect(await read({ prompt, quality: 'ultra' })).toBe(
      "Invalid value: 'ultra'. Supported values are: 'auto', 'low', 'medium', 'high'.",
    )
    expect(await read({ prompt, n: '2' })).toBe(
      "Invalid type for 'n': expected an integer, but got a string instead.",
    )
    expect(await read({ prompt, model: 'gpt-image-2', size: '1000x1000' })).toContain(
      'multiples of 16',
    )
  })
})

/** [label, body]: the accepted side of every limit. */
const valid: [string, Record<string, unknown>][] = [
  ['prompt of 1 character', { prompt: 'a' }],
  ['prompt of 32000 characters', { prompt: 'a'.repeat(32_000) }],
  ['prompt of 32000 four-byte characters', { prompt: '🦊'.repeat(16_000) }],
  ...(['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2'].map((model) => [
    `model ${model}`,
    { prompt, model },
  ]) as [string, Record<string, unknown>][]),
  ['n = 1', { prompt, n: 1 }],
  ['n = 10', { prompt, n: 10 }],
  ['size auto', { prompt, size: 'auto' }],
  ['size 1536x1024', { prompt, size: '1536x1024' }],
  ['size 1024x1536 on gpt-image-1.5', { prompt, model: 'gpt-image-1.5', size: '1024x1536' }],
  ...(['3840x2160', '2160x3840', '1024x640', '2496x832', '2048x1152'].map((size) => [
    `size ${size} on gpt-image-2`,
    { prompt, model: 'gpt-image-2', size },
  ]) as [string, Record<string, unknown>][]),
  ...(['auto', 'low', 'medium', 'high'].map((quality) => [
    `quality ${quality}`,
    { prompt, quality },
  ]) as [string, Record<string, unknown>][]),
  ['background opaque on gpt-image-2', { prompt, model: 'gpt-image-2', background: 'opaque' }],
  ['transparent with png', { prompt, background: 'transparent', output_format: 'png' }],
  ['transparent with webp', { prompt, background: 'transparent', output_format: 'webp' }],
  ['transparent with auto format', { prompt, background: 'transparent' }],
  ['moderation low', { prompt, moderation: 'low' }],
  ['output_compression 0 with jpeg', { prompt, output_format: 'jpeg', output_compression: 0 }],
  ['output_compression 100 with webp', { prompt, output_format: 'webp', output_compression: 100 }],
  ['stream false', { prompt, stream: false }],
  ['user', { prompt, user: 'user-1234' }],
]

describe('valid requests reach the upstream', () => {
  it.each(valid)('%s', async (_label, body) => {
    const fake = fakeUpstream()
    const res = await generate(body)
    expect(res.status).toBe(200)
    expect(fake.calls).toHaveLength(1)
  })

  it('takes an explicit null as "not set", as the OpenAI SDKs send it, and forwards none', async () => {
    const fake = fakeUpstream()
    const nulls = {
      model: null,
      n: null,
      size: null,
      quality: null,
      background: null,
      moderation: null,
      output_format: null,
      output_compression: null,
      stream: null,
      partial_images: null,
      user: null,
      response_format: null,
    }
    const res = await generate({ prompt, ...nulls })
    expect(res.status).toBe(200)
    expect(fake.calls[0]?.body).toEqual({ model: 'gpt-image-1', prompt })
  })

  it.each([0, 3])('partial_images %i with stream: true', async (partials) => {
    const fake = fakeUpstream().reply({ kind: 'sse', frames: [] })
    const res = await generate({ prompt, stream: true, partial_images: partials })
    expect(res.status).toBe(200)
    expect(fake.calls[0]?.body.partial_images).toBe(partials)
  })
})
