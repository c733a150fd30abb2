/** Helpers for tests of managed keys: an admin-enabled environment and small API clients. */
import { expect } from 'vitest'
import type { Bindings } from '../../src/env'
import { callGateway, ENVS } from './gateway'

export const ADMIN = 'admin-token-for-tests'
export const env = { ...ENVS.remote, ADMIN_TOKEN: ADMIN }
/** What the fake upstream's usage (10 input, 1056 output tokens) costs on gpt-image-1, in USD. */
export const FAKE_COST = (10 * 5 + 1056 * 40) / 1_000_000

export async function createKey(body: Record<string, unknown>, e: Partial<Bindings> = env) {
  const res = await callGateway('/v1/admin/keys', {
    env: e,
    body,
    headers: { authorization: `Bearer ${ADMIN}` },
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { id: string; key: string; balance_usd: number | null }
}

let prompts = 0
export function gen(
  key: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  e: Partial<Bindings> = env,
) {
  return callGateway('/v1/images/generations', {
    env: e,
    body: { prompt: `a fox, take ${++prompts}`, ...body },
    headers: { authorization: `Bearer ${key}`, ...headers },
  })
}

/** Kept here too for the tests that import it with the key helpers. */
export { errorOf } from './errors'

export async function usage(key: string, e: Partial<Bindings> = env) {
  const res = await callGateway('/v1/usage', {
    env: e,
    headers: { authorization: `Bearer ${key}` },
  })
  return (await res.json()) as Record<string, number | null>
}
