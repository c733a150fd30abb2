/** The 401 and 403 rows: who may call, and what a known caller may not do. */
import { describe, expect, it } from 'vitest'
import { FAKE_UPSTREAM_URL, OPERATOR_KEY } from '../fakes/upstream'
import { errorOf } from '../helpers/errors'
import { CLIENT_KEY, callGateway, ENVS, fakeUpstream } from '../helpers/gateway'

let calls = 0
/** A different prompt each call, so no answer comes from the cache. */
const body = () => ({ prompt: `a fox, take ${++calls}` })
const remoteNoKeys = { UPSTREAM_BASE_URL: FAKE_UPSTREAM_URL, UPSTREAM_API_KEY: OPERATOR_KEY }

async function call(env: object, authorization?: string) {
  return callGateway('/v1/images/generations', {
    env,
    body: body(),
    headers: authorization ? { authorization } : {},
  })
}

describe('401: client key missing or invalid', () => {
  it('refuses a request without a key', async () => {
    const fake = fakeUpstream()
    const res = await call(ENVS.remote)
    expect(res.status).toBe(401)
    expect(res.headers.get('x-should-retry')).toBe('false')
    expect(await errorOf(res)).toMatchObject({
      type: 'invalid_request_error',
      code: 'missing_api_key',
    })
    expect(fake.calls).toEqual([])
  })

  it.each([
    ['a wrong key', 'Bearer gw-wrong'],
    ['a key that is a prefix of a real one', `Bearer ${CLIENT_KEY.slice(0, -1)}`],
    ['the operator key itself', `Bearer ${OPERATOR_KEY}`],
    ['a non-bearer scheme', `Basic ${CLIENT_KEY}`],
  ])('refuses %s', async (_label, authorization) => {
    const fake = fakeUpstream()
    const res = await call(ENVS.remote, authorization)
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toMatchObject({ code: 'invalid_api_key' })
    expect(fake.calls).toEqual([])
  })

  it('accepts any of several configured keys, with spaces around commas', async () => {
    const fake = fakeUpstream()
    const env = { ...ENVS.remote, GATEWAY_KEYS: ' gw-a , gw-b ,, gw-c ' }
    for (const key of ['gw-a', 'gw-b', 'gw-c'])
      expect((await call(env, `Bearer ${key}`)).status).toBe(200)
    expect(fake.calls).toHaveLength(3)
  })

  it('answers 500 naming GATEWAY_KEYS when it holds a managed-key prefix, which never authenticates', async () => {
    const fake = fakeUpstream()
    const env = { ...ENVS.remote, GATEWAY_KEYS: `${CLIENT_KEY},sk-gw-7f3a9c` }
    for (const authorization of ['Bearer sk-gw-7f3a9c', `Bearer ${CLIENT_KEY}`, undefined]) {
      const res = await call(env, authorization)
      expect(res.status).toBe(500)
      const error = await errorOf(res)
      expect(error).toMatchObject({ code: 'gateway_misconfigured' })
      expect(error.message).toContain('GATEWAY_KEYS must not hold keys starting with sk-gw-')
      expect(error.message).not.toContain('7f3a9c')
    }
    expect(fake.calls).toEqual([])
  })

  it('refuses everyone when a real upstream has no client keys and PUBLIC_ACCESS is off', async () => {
    const fake = fakeUpstream()
    for (const authorization of [undefined, 'Bearer anything']) {
      const res = await call(remoteNoKeys, authorization)
      expect(res.status).toBe(401)
      expect((await errorOf(res)).message).toContain('GATEWAY_KEYS')
    }
    expect(fake.calls).toEqual([])
  })

  it('lets anonymous callers in with PUBLIC_ACCESS=true, but still refuses a wrong key', async () => {
    const fake = fakeUpstream()
    expect((await call({ ...remoteNoKeys, PUBLIC_ACCESS: 'true' })).status).toBe(200)
    expect((await call({ ...ENVS.remote, PUBLIC_ACCESS: 'true' })).status).toBe(200)
    expect((await call({ ...ENVS.remote, PUBLIC_ACCESS: 'true' }, 'Bearer gw-wrong')).status).toBe(
      401,
    )
    expect(fake.calls).toHaveLength(2)
  })

  it('serves the demo without keys, but asks for one once keys are configured', async () => {
    fakeUpstream()
    expect((await call(ENVS.demo)).status).toBe(200)
    expect((await call({ GATEWAY_KEYS: CLIENT_KEY })).status).toBe(401)
    expect((await call({ GATEWAY_KEYS: CLIENT_KEY }, `Bearer ${CLIENT_KEY}`)).status).toBe(200)
  })

  it('checks the key before looking at the body', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/images/generations', {
      env: ENVS.remote,
      body: { nonsense: true },
    })
    expect(res.status).toBe(401)
  })
})

describe('403: the key may not do this', () => {
  it('refuses a model the deployment does not offer, naming it', async () => {
    const fake = fakeUpstream()
    const env = { ...ENVS.remote, ALLOWED_MODELS: 'gpt-image-1-mini, gpt-image-2' }
    const res = await callGateway('/v1/images/generations', {
      env,
      body: { prompt: 'a fox', model: 'gpt-image-1.5' },
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(res.status).toBe(403)
    expect(await errorOf(res)).toMatchObject({
      type: 'permission_error',
      code: 'model_not_allowed',
      param: 'model',
    })
    expect(fake.calls).toEqual([])
    const allowed = await callGateway('/v1/images/generations', {
      env,
      body: { prompt: 'a fox', model: 'gpt-image-2' },
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(allowed.status).toBe(200)
  })

  it('applies ALLOWED_MODELS to the default model too', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/images/generations', {
      env: { ...ENVS.remote, ALLOWED_MODELS: 'gpt-image-2' },
      body: { prompt: 'a fox' },
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(res.status).toBe(403)
    expect((await errorOf(res)).message).toContain("'gpt-image-1'")
  })
})
