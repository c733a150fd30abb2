/**
 * Who is calling, and may they call now: the operator's GATEWAY_KEYS, managed keys (checked and
 * counted by their ledger in one call), or anonymous callers when allowed, limited per client.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { endTime, startTime } from 'hono/timing'
import { ledgerName, ledgerOf } from '../billing/ledger-name'
import type { AppEnv } from '../env'
import { fail } from '../errors'
import type { Failure } from '../failure'
import type { Principal } from '../principal'
import { isManagedKey } from '../principal'
import type { Settings } from '../settings'
import { sha256Hex } from '../stream/bytes'
import { adminGuesses } from './admin-guesses'
import type { Admission, RateWindow } from './admission'
import { clientBucket } from './client-address'

/** Whether callers without a key get in: PUBLIC_ACCESS, or the demo generator with no keys. */
export function anonymousAccess(settings: Settings): boolean {
  return settings.publicAccess || (settings.demo && settings.gatewayKeys.length === 0)
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

/** The origin a browser request comes from: Origin, or Referer's origin for `<img>` requests. */
function requestOrigin(c: Context): string | null {
  const origin = c.req.header('origin')
  if (origin && origin !== 'null') return origin
  const referer = c.req.header('referer')
  if (!referer) return null
  try {
    return new URL(referer).origin
  } catch {
    return null
  }
}

/** The client a request comes from (an IPv6 client by its /64), or null without an address. */
export function clientOf(c: Context<AppEnv>): string | null {
  return clientBucket((name) => c.req.header(name))
}

/**
 * A request without a client address, where limits are counted per client. Such a request never
 * comes from the internet (Cloudflare sets CF-Connecting-IP on each), so it is refused rather
 * than put in one bucket shared by every such request (which any of them could empty).
 */
const NO_CLIENT_ADDRESS: Failure = {
  kind: 'forbidden',
  code: 'client_address_required',
  param: null,
  message:
    'This request has no client address (CF-Connecting-IP), which its limits are counted by. Call with a secret key.',
}

/**
 * Admits a request against its client's one-minute window, in the ledger `<account>:<client>`.
 * A request without a client address is refused; a refused request writes nothing.
 */
export async function admitClient(
  c: Context<AppEnv>,
  account: 'ip' | 'embed',
  limit: number,
): Promise<{ client: string; window: RateWindow }> {
  const client = clientOf(c)
  if (client === null) fail(NO_CLIENT_ADDRESS)
  const admission = await ledgerOf(c.env, ledgerName(account, client)).admit({ limit })
  if (!admission.allowed) fail(refusal(admission, null))
  const { remaining, reset } = admission
  return { client, window: { limit: admission.limit, remaining, reset } }
}

export interface Caller {
  principal: Principal
  /** Where an admitted request stands in its rate window; null when no window applies. */
  window: RateWindow | null
}

/** The failure a refused admission answers with. */
function refusal(
  admission: Extract<Admission, { allowed: false }>,
  origin: string | null,
): Failure {
  switch (admission.refusal) {
    case 'unknown_key':
    case 'revoked':
      return { kind: 'invalid_api_key' }
    case 'origin_not_allowed':
      return {
        kind: 'forbidden',
        code: 'origin_not_allowed',
        param: null,
        message: `This publishable key may not be used from ${origin ?? 'a page without an Origin'}. Add the origin to the key's allowlist.`,
      }
    case 'client_address_required':
      return NO_CLIENT_ADDRESS
    case 'rate_limited': {
      const { limit, reset, scope } = admission
      return { kind: 'rate_limited', limit, reset, ...(scope === 'client' ? { scope } : {}) }
    }
  }
}

/**
 * Admits a managed key: its ledger checks that the key is live and, for a publishable key, the
 * page's origin and the client's own window, before counting the request (one call), so refused
 * requests never use up the key's window and an unknown key leaves nothing stored.
 */
export async function admitManagedKey(c: Context<AppEnv>, token: string): Promise<Caller> {
  const name = ledgerName('key', await sha256Hex(token))
  const origin = requestOrigin(c)
  const settings = c.var.settings
  const admission = await ledgerOf(c.env, name).admit({
    limit: settings.rateLimitPerMinute,
    key: { origin, client: clientOf(c), clientLimit: settings.publishableClientRateLimitPerMinute },
  })
  if (!admission.allowed) fail(refusal(admission, origin))
  const { record, limit, remaining, reset } = admission
  if (!record) fail({ kind: 'internal' })
  const principal: Principal = { kind: 'managed', id: record.id, ledger: name, record }
  return { principal, window: { limit, remaining, reset } }
}

/**
 * Decides who the caller is, or throws the matching 401/403/429. Secure by default: with a real
 * upstream and no keys, nobody gets in unless PUBLIC_ACCESS=true; only the demo is open.
 * Anonymous callers are limited per client (an IPv6 client by its /64).
 */
export async function authenticate(c: Context<AppEnv>): Promise<Caller> {
  const settings = c.var.settings
  const keys = settings.gatewayKeys
  const token = bearerToken(c.req.header('authorization'))
  if (token !== null && isManagedKey(token)) return admitManagedKey(c, token)
  if (keys.length > 0 && token !== null) {
    // Compare against every key, so timing does not reveal which one matched.
    const matches = await Promise.all(keys.map((key) => secretsEqual(token, key)))
    const keyIndex = matches.indexOf(true)
    if (keyIndex >= 0) return { principal: { kind: 'operator', keyIndex }, window: null }
    fail({ kind: 'invalid_api_key' })
  }
  if (!anonymousAccess(settings)) {
    if (keys.length === 0) fail({ kind: 'gateway_closed' })
    fail(c.req.header('authorization') ? { kind: 'invalid_api_key' } : { kind: 'missing_api_key' })
  }
  // The demo spends nothing: it limits nobody, so a missing address does not matter there.
  if (settings.demo)
    return { principal: { kind: 'anonymous', ip: clientOf(c) ?? 'unknown' }, window: null }
  const { client, window } = await admitClient(c, 'ip', settings.anonymousRateLimitPerMinute)
  return { principal: { kind: 'anonymous', ip: client }, window }
}

/** Rate-limit headers for an admitted request. */
function rateLimitHeaders(window: RateWindow): Record<string, string> {
  return {
    'x-ratelimit-limit': String(window.limit),
    'x-ratelimit-remaining': String(window.remaining),
    'x-ratelimit-reset': String(window.reset),
  }
}

/** Middleware: sets `principal` or answers 401/403/429; adds rate-limit headers to the answer. */
export const requireCaller = createMiddleware<AppEnv>(async (c, next) => {
  startTime(c, 'auth', 'Who is calling (key, limits)')
  const { principal, window } = await authenticate(c)
  endTime(c, 'auth')
  c.set('principal', principal)
  await next()
  if (window)
    for (const [name, value] of Object.entries(rateLimitHeaders(window)))
      c.res.headers.set(name, value)
})

/**
 * Middleware: lets through requests with the ADMIN_TOKEN, or answers 401/403, or 429 to a client
 * past its window of wrong tokens (looked at before the token is compared).
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('authorization'))
  const settings = c.var.settings
  const expected = settings.adminToken
  if (!expected)
    fail({
      kind: 'forbidden',
      code: 'admin_disabled',
      param: null,
      message: 'The admin API is off: set the ADMIN_TOKEN secret.',
    })
  if (!token) fail({ kind: 'missing_api_key' })
  const guesses = adminGuesses(c.env, clientOf(c), settings.adminTokenGuessesPerMinute)
  const refused = await guesses.refusal()
  if (refused) fail(refused)
  if (!(await secretsEqual(token, expected)))
    fail((await guesses.count()) ?? { kind: 'invalid_api_key' })
  await next()
})
