/** GET /v1/usage: what the calling managed key has spent, has left, and saved through the cache. */
import { createRoute } from '@hono/zod-openapi'
import { requireCaller } from '../access/auth'
import { ledgerOf } from '../billing/ledger-name'
import { usd } from '../billing/prices'
import { fail } from '../errors'
import { usageResponseSchema } from '../schema/responses'
import { CLIENT_KEY, errorResponses, KEY_ERRORS, openApiRouter } from './openapi'

export const usage = openApiRouter()

const own = createRoute({
  method: 'get',
  path: '/usage',
  summary: 'The calling key’s spend, balance and savings',
  security: CLIENT_KEY,
  middleware: [requireCaller] as const,
  responses: {
    200: { description: 'Usage', content: { 'application/json': { schema: usageResponseSchema } } },
    ...errorResponses({ ...KEY_ERRORS, 403: 'Not a managed key.' }),
  },
})

usage.openapi(own, async (c) => {
  const principal = c.get('principal')
  if (principal.kind !== 'managed') {
    fail({
      kind: 'forbidden',
      code: 'managed_key_required',
      param: null,
      message: 'Usage is kept for managed keys (sk-gw-/pk-gw-); this request has none.',
    })
  }
  const u = await ledgerOf(c.env, principal.ledger).usage()
  return c.json(
    {
      object: 'usage' as const,
      key: { id: principal.record.id, name: principal.record.name, kind: principal.record.kind },
      balance_usd: u.balanceMicros === null ? null : usd(u.balanceMicros),
      spent_usd: usd(u.spentMicros),
      requests: u.requests,
      cache_hits: u.cacheHits,
      saved_usd: usd(u.savedMicros),
    },
    200,
  )
})
