/** What reaches the upstream: exactly what the client said, with the operator's key. */
import { describe, expect, it } from 'vitest'
import { FAKE_UPSTREAM_URL, IMAGES_RESPONSE_KEYS, OPERATOR_KEY } from '../fakes/upstream'
import { fakeUpstream, generate } from '../helpers/gateway'

describe('forwarding', () => {
  it('sends only model and prompt for a minimal request, with the operator key', async () => {
    const fake = fakeUpstream()
    await generate({ prompt: 'a red fox' })
    expect(fake.calls).toHaveLength(1)
    expect(fake.calls[0]).toMatchObject({
      url: 'http://fake/v1/images/generations',
      authorization: `Bearer ${OPERATOR_KEY}`,
      contentType: 'application/json',
      body: { model: 'gpt-image-1', prompt: 'a red fox' },
    })
    expect(JSON.stringify(fake.calls[0]?.body)).toBe('{"model":"gpt-image-1","prompt":"a red fox"}')
  })

  it('sends every field the client set, unchanged', async () => {
    const fake = fakeUpstream().reply({ kind: 'sse', frames: [] })
    const full = {
      model: 'gpt-image-1.5',
      prompt: 'a red fox in the snow',
      n: 3,
      size: '1536x1024',
      quality: 'high',
      background: 'transparent',
      moderation: 'low',
      output_format: 'webp',
      output_compression: 80,
      stream: true,
      partial_images: 2,
      user: 'end-user-42',
    }
    await generate(full)
    expect(fake.calls[0]?.body).toEqual(full)
  })

  it('sends auto values the upstream understands, but never output_format auto', async () => {
    const fake = fakeUpstream()
    await generate({
      prompt: 'a fox',
      size: 'auto',
      quality: 'auto',
      background: 'auto',
      moderation: 'auto',
      output_format: 'auto',
    })
    expect(fake.calls[0]?.body).toEqual({
      model: 'gpt-image-1',
      prompt: 'a fox',
      size: 'auto',
      quality: 'auto',
      background: 'auto',
      moderation: 'auto',
    })
  })

  it('uses UPSTREAM_BASE_URL, ignoring a trailing slash', async () => {
    const fake = fakeUpstream()
    const res = await generate(
      { prompt: 'a fox' },
      {
        env: {
          UPSTREAM_BASE_URL: `${FAKE_UPSTREAM_URL}/`,
          UPSTREAM_API_KEY: OPERATOR_KEY,
          GATEWAY_KEYS: 'gw-client-key-1',
        },
      },
    )
    expect(res.status).toBe(200)
    expect(fake.calls).toHaveLength(1)
  })

  it('passes the upstream answer through in OpenAI shape with both request ids', async () => {
    fakeUpstream().reply({ kind: 'success', requestId: 'req_upstream_abc' })
    const res = await generate({ prompt: 'a fox', n: 2 })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(res.headers.get('x-request-id')).toBe('req_upstream_abc')
    expect(res.headers.get('x-gateway-request-id')).toMatch(/^gw_/)
    expect(res.headers.get('x-upstream')).toBe('remote')
    const body = (await res.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(IMAGES_RESPONSE_KEYS)
    expect(body.data).toHaveLength(2)
  })

  it('does not forward the client key or other client headers', async () => {
    const fake = fakeUpstream()
    await generate({ prompt: 'a fox' }, { headers: { 'x-custom': 'secret', cookie: 'a=b' } })
    const headers = fake.calls[0]?.headers ?? {}
    expect(headers.authorization).toBe(`Bearer ${OPERATOR_KEY}`)
    expect(Object.keys(headers).sort()).toEqual(['authorization', 'content-type'])
  })
})
