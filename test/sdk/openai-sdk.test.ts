/**
 * The official openai package as a client of the gateway (baseURL pointed at it, nothing else
 * changed): a success, a stream, and each error class as the SDK reports it.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../../src/env'
import { errorReply, type FakeReply, OPERATOR_KEY, TINY_PNG_B64 } from '../fakes/upstream'
import { ENVS, fakeUpstream } from '../helpers/gateway'
import { sdk } from '../helpers/sdk'

async function sdkError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(OpenAI.APIError)
  return error as InstanceType<typeof OpenAI.APIError>
}

describe('openai SDK against the gateway', () => {
  it('generates an image', async () => {
    fakeUpstream()
    const result = await sdk().images.generate({ model: 'gpt-image-1', prompt: 'a red fox', n: 2 })
    expect(result.data?.map((d) => d.b64_json)).toEqual([TINY_PNG_B64, TINY_PNG_B64])
    expect(result.usage?.total_tokens).toBe(1066)
  })

  it('generates with the demo upstream', async () => {
    fakeUpstream()
    const result = await sdk({ env: ENVS.demo, apiKey: 'anything' }).images.generate({
      model: 'gpt-image-2',
      prompt: 'a fox',
      size: '1024x640',
    })
    expect(result.size).toBe('1024x640')
    expect(result.data?.[0]?.b64_json?.length).toBeGreaterThan(1000)
  })

  it('iterates a stream of partial images from the demo', async () => {
    fakeUpstream()
    const stream = await sdk({ env: ENVS.demo, apiKey: 'anything' }).images.generate({
      prompt: 'a fox',
      stream: true,
      partial_images: 1,
    })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    expect(types).toEqual(['image_generation.partial_image', 'image_generation.completed'])
  })

  /** [label, env change, upstream reply, SDK error class, status, code] */
  const cases: [string, Partial<Bindings> | null, FakeReply | null, string, number, string][] = [
    ['invalid parameter', null, null, 'BadRequestError', 400, 'integer_above_max_value'],
    [
      'missing key',
      { GATEWAY_KEYS: 'some-other-key' },
      null,
      'AuthenticationError',
      401,
      'invalid_api_key',
    ],
    [
      'model not offered',
      { ALLOWED_MODELS: 'gpt-image-2' },
      null,
      'PermissionDeniedError',
      403,
      'model_not_allowed',
    ],
    [
      'upstream rate limit',
      null,
      errorReply(429, { code: 'rate_limit_exceeded' }, { 'retry-after': '1' }),
      'RateLimitError',
      429,
      'rate_limit_exceeded',
    ],
    [
      'upstream failure',
      null,
      errorReply(500, {}),
      'InternalServerError',
      500,
      'upstream_unavailable',
    ],
    [
      'operator key rejected',
      null,
      errorReply(401, { code: 'invalid_api_key' }),
      'InternalServerError',
      500,
      'upstream_credentials_rejected',
    ],
    [
      'content policy',
      null,
      errorReply(400, { message: 'Blocked by the safety system.', code: 'moderation_blocked' }),
      'BadRequestError',
      400,
      'moderation_blocked',
    ],
  ]

  it.each(cases)('reports %s as %s', async (label, envChange, reply, errorClass, status, code) => {
    const fake = fakeUpstream()
    if (reply) fake.reply(reply, reply)
    const client = sdk({ env: { ...ENVS.remote, ...envChange } })
    const n = label === 'invalid parameter' ? 11 : 1
    const error = await sdkError(client.images.generate({ prompt: 'a fox', n }))
    expect(error.constructor.name).toBe(errorClass)
    expect(error.status).toBe(status)
    expect(error.code).toBe(code)
    expect(error.message).not.toContain(OPERATOR_KEY)
  })

  it('names the parameter the way the SDK exposes it', async () => {
    fakeUpstream()
    const error = await sdkError(sdk().images.generate({ prompt: 'a fox', size: '2048x2048' }))
    expect(error.param).toBe('size')
    expect(error.type).toBe('invalid_request_error')
  })

  it('does not make the SDK retry what retrying cannot fix', async () => {
    const fake = fakeUpstream().reply(errorReply(401, {}), errorReply(401, {}), errorReply(401, {}))
    await sdkError(sdk({ maxRetries: 2 }).images.generate({ prompt: 'a fox' }))
    expect(fake.calls).toHaveLength(1)
  })
})
