/** Malformed JSON, wrong content types, oversized bodies and wrong routes: clear 4xx envelopes. */
import { describe, expect, it } from 'vitest'
import { CLIENT_KEY, callGateway, fakeUpstream } from '../helpers/gateway'

const auth = { authorization: `Bearer ${CLIENT_KEY}` }

async function expectEnvelope(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  const body = (await res.json()) as { error: Record<string, unknown> }
  expect(body.error).toMatchObject({ code, param: null })
  expect(body.error.type).toBeTypeOf('string')
  expect(body.error.message).toBeTypeOf('string')
}

describe('request bodies', () => {
  it('refuses malformed JSON with 400 invalid_json', async () => {
    const fake = fakeUpstream()
    const res = await callGateway('/v1/images/generations', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      rawBody: '{"prompt": "a fox",',
    })
    await expectEnvelope(res, 400, 'invalid_json')
    expect(fake.calls).toEqual([])
  })

  it.each([
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
    ['no content type', null],
  ])('refuses %s with 415', async (_label, type) => {
    const fake = fakeUpstream()
    const headers: Record<string, string> = { ...auth }
    if (type) headers['content-type'] = type
    const res = await callGateway('/v1/images/generations', {
      method: 'POST',
      headers,
      rawBody: '{"prompt":"a fox"}',
    })
    await expectEnvelope(res, 415, 'unsupported_media_type')
    expect(fake.calls).toEqual([])
  })

  it('tells a generation to send JSON, without offering multipart', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/images/generations', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      rawBody: '{"prompt":"a fox"}',
    })
    const { error } = (await res.json()) as { error: { message: string } }
    expect(error.message).toContain("'Content-Type: application/json'")
    expect(error.message).not.toContain('multipart')
  })

  it('accepts application/json with a charset', async () => {
    const fake = fakeUpstream()
    const res = await callGateway('/v1/images/generations', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json; charset=utf-8' },
      rawBody: '{"prompt":"a fox"}',
    })
    expect(res.status).toBe(200)
    expect(fake.calls).toHaveLength(1)
  })

  it('refuses a body over 256 KiB with 413, before parsing it', async () => {
    const fake = fakeUpstream()
    const res = await callGateway('/v1/images/generations', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      rawBody: JSON.stringify({ prompt: 'a'.repeat(300_000) }),
    })
    await expectEnvelope(res, 413, 'payload_too_large')
    expect(fake.calls).toEqual([])
  })
})

describe('routes', () => {
  it('answers GET on the generation route with 405', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/images/generations', { headers: auth })
    await expectEnvelope(res, 405, 'method_not_allowed')
  })

  it('answers unknown API paths with a 404 envelope', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/nothing-here', { headers: auth })
    await expectEnvelope(res, 404, 'not_found')
  })

  it('tags every answer with our own request id', async () => {
    fakeUpstream()
    const ok = await callGateway('/v1/images/generations', {
      headers: auth,
      body: { prompt: 'a fox' },
    })
    const bad = await callGateway('/v1/images/generations', { headers: auth, body: {} })
    const ids = [ok.headers.get('x-gateway-request-id'), bad.headers.get('x-gateway-request-id')]
    for (const id of ids) expect(id).toMatch(/^gw_[0-9a-f]{32}$/)
    expect(ids[0]).not.toBe(ids[1])
  })
})
