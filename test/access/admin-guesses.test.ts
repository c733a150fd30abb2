/**
 * Admin token guesses are limited per client: wrong tokens on any admin route count against the
 * caller's address window, past it a 429 in OpenAI's envelope with Retry-After (the right token
 * too, so a guess learns nothing); other clients and right tokens are never slowed.
 */
import { reset } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { callGateway } from '../helpers/gateway'
import { ADMIN, env as adminEnv, errorOf } from '../helpers/keys'

afterEach(async () => {
  await reset()
})

const env = { ...adminEnv, ADMIN_TOKEN_GUESSES_PER_MINUTE: '3' }
const GUESSER = '198.51.100.7'
const OPERATOR = '203.0.113.9'

/** GET /v1/admin/keys with `token` from `clientIp`. */
const listKeys = (token: string | null, clientIp: string | null = GUESSER) =>
  callGateway('/v1/admin/keys', {
    env,
    clientIp,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  })

describe('admin token guesses', () => {
  it('answers 401 up to the limit, then 429 with Retry-After, the right token included', async () => {
    for (let i = 0; i < 3; i++) expect((await listKeys(`wrong-${i}`)).status).toBe(401)
    const refused = await listKeys('wrong-3')
    expect(refused.status).toBe(429)
    const retryAfter = Number(refused.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    const error = await errorOf(refused)
    expect(error.code).toBe('rate_limit_exceeded')
    expect(error.message).toMatch(/wrong admin tokens from this client: 3 per minute/)
    expect((await listKeys(ADMIN)).status).toBe(429)
  })

  it('counts wrong tokens on every admin route, against the client’s address', async () => {
    const wrong = { authorization: 'Bearer wrong' }
    for (const [method, path] of [
      ['GET', '/v1/admin/keys'],
      ['POST', '/v1/admin/keys/key_x/revoke'],
      ['POST', '/v1/admin/keys/key_x/credit'],
    ] as const)
      expect(
        (await callGateway(path, { env, method, clientIp: GUESSER, headers: wrong })).status,
      ).toBe(401)
    expect((await listKeys('wrong')).status).toBe(429)
    // An IPv6 client by its /64: another address in it is the same client.
    for (let i = 0; i < 3; i++) await listKeys('wrong', `2001:db8:1:2::${i + 1}`)
    expect((await listKeys('wrong', '2001:db8:1:2::ffff')).status).toBe(429)
    expect((await listKeys('wrong', '2001:db8:1:3::1')).status).toBe(401)
  })

  it('never slows another client, nor counts a right or a missing token', async () => {
    for (let i = 0; i < 4; i++) await listKeys(`wrong-${i}`)
    expect((await listKeys('wrong')).status).toBe(429)
    for (let i = 0; i < 5; i++) expect((await listKeys(ADMIN, OPERATOR)).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await listKeys(null, OPERATOR)).status).toBe(401)
    for (let i = 0; i < 3; i++) expect((await listKeys('typo', OPERATOR)).status).toBe(401)
    expect((await listKeys(ADMIN, OPERATOR)).status).toBe(429)
  })

  it('counts requests without an address together, apart from every client', async () => {
    for (let i = 0; i < 3; i++) expect((await listKeys('wrong', null)).status).toBe(401)
    expect((await listKeys('wrong', null)).status).toBe(429)
    expect((await listKeys(ADMIN, OPERATOR)).status).toBe(200)
  })
})
