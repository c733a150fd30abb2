/** GET /v1/usage: what the calling managed key has spent, has left, and saved through the cache. */
import { Hono } from 'hono'
import { requireCaller } from '../access/auth'
import { ledger } from '../access/keys'
import { usd } from '../access/pricing'
import type { AppEnv } from '../env'
import { fail } from '../errors'

export const usage = new Hono<AppEnv>()

usage.get('/usage', requireCaller, async (c) => {
  const principal = c.get('principal')
  if (principal.kind !== 'managed') {
    fail({
      kind: 'forbidden',
      code: 'managed_key_required',
      param: null,
      message: 'Usage is kept for managed keys (sk-gw-/pk-gw-); this request has none.',
    })
  }
  const u = await ledger(c.env, principal.ledger).usage()
  return c.json({
    object: 'usage',
    key: { id: principal.record.id, name: principal.record.name, kind: principal.record.kind },
    balance_usd: u.balanceMicros === null ? null : usd(u.balanceMicros),
    spent_usd: usd(u.spentMicros),
    requests: u.requests,
    cache_hits: u.cacheHits,
    saved_usd: usd(u.savedMicros),
  })
})
