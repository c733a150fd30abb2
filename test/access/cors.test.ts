/** CORS: exact-origin allowlist, preflights that allow what the openai SDK sends, Vary: Origin. */
import { describe, expect, it } from 'vitest'
import { CLIENT_KEY, callGateway, ENVS, fakeUpstream } from '../helpers/gateway'

const ADMIN = 'admin-token-for-tests'
const env = {
  ...ENVS.remote,
  ADMIN_TOKEN: ADMIN,
  CORS_ORIGINS: 'https://app.example, https://other.example',
}
const SDK_HEADERS =
  'authorization, content-type, x-stainless-os, x-stainless-lang, x-stainless-package-version, x-stainless-retry-count, openai-organization, x-evil'

function preflight(origin: string) {
  return callGateway('/v1/images/generations', {
    env,
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': SDK_HEADERS,
    },
  })
}

describe('CORS', () => {
  it('answers a preflight from an allowed origin with exactly that origin and the SDK headers', async () => {
    fakeUpstream()
    const res = await preflight('https://app.example')
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, x-stainless-os, x-stainless-lang, x-stainless-package-version, x-stainless-retry-count, openai-organization',
    )
    expect(res.headers.get('vary')).toContain('Origin')
  })

  it('echoes nothing for a foreign origin', async () => {
    fakeUpstream()
    for (const origin of [
      'https://evil.example',
      'https://app.example.evil.example',
      'http://app.example',
    ]) {
      const res = await preflight(origin)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      expect(res.headers.get('access-control-allow-headers')).toBeNull()
      expect(res.headers.get('vary')).toContain('Origin')
    }
  })

  it('allows the origins of publishable keys, and stops when the key is revoked', async () => {
    fakeUpstream()
    const headers = { authorization: `Bearer ${ADMIN}` }
    const created = await callGateway('/v1/admin/keys', {
      env,
      headers,
      body: { name: 'site', kind: 'publishable', origins: ['https://site.example'] },
    })
    const { id } = (await created.json()) as { id: string }
    expect(
      (await preflight('https://site.example')).headers.get('access-control-allow-origin'),
    ).toBe('https://site.example')
    await callGateway(`/v1/admin/keys/${id}/revoke`, { env, method: 'POST', headers })
    expect(
      (await preflight('https://site.example')).headers.get('access-control-allow-origin'),
    ).toBeNull()
  })

  it('lets allowed pages read answers and their headers', async () => {
    fakeUpstream()
    const res = await callGateway('/v1/images/generations', {
      env,
      body: { prompt: 'a fox' },
      headers: { origin: 'https://app.example', authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(res.headers.get('access-control-expose-headers')).toContain('x-ratelimit-remaining')
    expect(res.headers.get('vary')).toContain('Origin')
  })
})

describe('publishable keys in embed URLs', () => {
  it('spend the key’s balance when the page is an allowed origin, and refuse elsewhere', async () => {
    const fake = fakeUpstream()
    const headers = { authorization: `Bearer ${ADMIN}` }
    const created = await callGateway('/v1/admin/keys', {
      env,
      headers,
      body: {
        name: 'site',
        kind: 'publishable',
        origins: ['https://site.example'],
        balance_usd: 1,
      },
    })
    const { key } = (await created.json()) as { key: string }
    const path = `/v1/images/embed?prompt=a+red+fox&key=${key}`
    const ok = await callGateway(path, { env, headers: { referer: 'https://site.example/page' } })
    expect(ok.status).toBe(302)
    const foreign = await callGateway(path, { env, headers: { referer: 'https://evil.example/' } })
    expect(foreign.status).toBe(403)
    expect(fake.calls).toHaveLength(1)
  })

  it('refuse secret keys in URLs', async () => {
    fakeUpstream()
    const headers = { authorization: `Bearer ${ADMIN}` }
    const created = await callGateway('/v1/admin/keys', {
      env,
      headers,
      body: { name: 'server', kind: 'secret' },
    })
    const { key } = (await created.json()) as { key: string }
    const res = await callGateway(`/v1/images/embed?prompt=a+red+fox&key=${key}`, { env })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('secret_key_in_url')
  })
})
