/**
 * Who pays for an embed, decided before its parameters are read: a publishable key in the URL
 * (checked against the page's origin, spending that key's balance), or the owner's signature.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { endTime, startTime } from 'hono/timing'
import { authorizeEmbed } from '../embed/embed-request'
import type { AppEnv } from '../env'
import { fail } from '../errors'
import { KEY_PREFIXES } from '../principal'
import { admitClient, admitManagedKey, clientOf } from './auth'

/**
 * Middleware: sets `principal` for an embed. Signed visits are limited per client (an IPv6 client
 * by its /64); a URL refused before that (unsigned, forged, expired) writes nothing.
 */
export const embedCaller = createMiddleware<AppEnv>(async (c, next) => {
  startTime(c, 'auth', 'Who pays (signature or key, origin, limits)')
  await admitEmbed(c)
  endTime(c, 'auth')
  await next()
})

async function admitEmbed(c: Context<AppEnv>): Promise<void> {
  const params = new URL(c.req.url).searchParams
  const key = params.get('key')
  if (key === null) {
    const settings = c.var.settings
    const principal = await authorizeEmbed(settings, params, clientOf(c) ?? 'unknown')
    if (principal.kind === 'signed') await admitClient(c, 'embed', settings.embedRateLimitPerMinute)
    c.set('principal', principal)
  } else if (!key.startsWith(KEY_PREFIXES.publishable)) {
    fail({
      kind: 'forbidden',
      code: 'secret_key_in_url',
      param: 'key',
      message:
        'Only publishable keys (pk-gw-…) belong in a page; revoke a secret key that was put in a URL.',
    })
  } else c.set('principal', (await admitManagedKey(c, key)).principal)
}
