/**
 * Who is calling. Client keys come from the GATEWAY_KEYS secret for now (managed keys arrive with
 * the access issue). Secure by default: with a real upstream and no keys, nobody gets in unless
 * the operator sets PUBLIC_ACCESS=true; only the demo generator is open without keys.
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv, Bindings, Principal } from '../env'
import { fail } from '../errors'
import { isDemo } from '../upstream/target'

/** Parses GATEWAY_KEYS: comma-separated, blanks ignored. */
export function configuredKeys(env: Bindings): string[] {
  return (env.GATEWAY_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key.length > 0)
}

/** The bearer token of an Authorization header, or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1] ?? null
}

const encoder = new TextEncoder()

/** Compares two secrets in constant time (digests first, so lengths don't leak either). */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ])
  return crypto.subtle.timingSafeEqual(da, db)
}

/** Decides who the caller is, or throws the matching 401. */
export async function authenticate(
  env: Bindings,
  authorization: string | undefined,
): Promise<Principal> {
  const keys = configuredKeys(env)
  const token = bearerToken(authorization)
  const open = env.PUBLIC_ACCESS === 'true' || (keys.length === 0 && isDemo(env))
  if (keys.length > 0 && token !== null) {
    // Compare against every key, so timing does not reveal which one matched.
    const matches = await Promise.all(keys.map((key) => secretsEqual(token, key)))
    const keyIndex = matches.indexOf(true)
    if (keyIndex >= 0) return { kind: 'key', keyIndex }
    fail({ kind: 'invalid_api_key' })
  }
  if (open) return { kind: 'anonymous' }
  if (keys.length === 0) fail({ kind: 'gateway_closed' })
  fail(authorization ? { kind: 'invalid_api_key' } : { kind: 'missing_api_key' })
}

/** Middleware: sets `principal` or answers 401. */
export const requireCaller = createMiddleware<AppEnv>(async (c, next) => {
  c.set('principal', await authenticate(c.env, c.req.header('authorization')))
  await next()
})
