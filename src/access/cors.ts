/**
 * CORS for browsers: an exact-origin allowlist (CORS_ORIGINS and live publishable keys' origins).
 * Hand-written because hono/cors cannot allow headers by prefix (X-Stainless-*, OpenAI-*).
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv, Bindings } from '../env'
import type { Settings } from '../settings'
import { keyIndex } from './keys'

const ALLOWED_HEADER =
  /^(authorization|content-type|cache-control|x-stainless-[a-z0-9-]+|openai-[a-z0-9-]+)$/
const EXPOSED =
  'x-request-id, x-gateway-request-id, x-cache, x-upstream, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset'
/** How long an isolate trusts its copy of the publishable keys' origins. */
const ORIGINS_TTL_MS = 30_000

let cachedOrigins: { at: number; origins: readonly string[] } | null = null

/** Publishable keys' origins, looked up at most every ORIGINS_TTL_MS per isolate. */
async function keyOrigins(env: Bindings): Promise<readonly string[]> {
  if (cachedOrigins && Date.now() - cachedOrigins.at < ORIGINS_TTL_MS) return cachedOrigins.origins
  cachedOrigins = { at: Date.now(), origins: await keyIndex(env).origins() }
  return cachedOrigins.origins
}

async function isAllowed(env: Bindings, settings: Settings, origin: string): Promise<boolean> {
  return settings.corsOrigins.includes(origin) || (await keyOrigins(env)).includes(origin)
}

/** Forgets the cached origins (after keys change, and between tests). */
export function forgetAllowedOrigins(): void {
  cachedOrigins = null
}

export const cors = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header('origin')
  const allowed = origin ? await isAllowed(c.env, c.var.settings, origin) : false
  if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
    const headers = new Headers({ vary: 'Origin' })
    if (allowed && origin) {
      const requested = (c.req.header('access-control-request-headers') ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => ALLOWED_HEADER.test(h))
      headers.set('access-control-allow-origin', origin)
      headers.set('access-control-allow-methods', 'GET, POST, OPTIONS')
      if (requested.length > 0) headers.set('access-control-allow-headers', requested.join(', '))
      headers.set('access-control-max-age', '600')
    }
    return new Response(null, { status: 204, headers })
  }
  await next()
  c.res.headers.append('vary', 'Origin')
  if (allowed && origin) {
    c.res.headers.set('access-control-allow-origin', origin)
    c.res.headers.set('access-control-expose-headers', EXPOSED)
  }
})
