/**
 * The admin API (Bearer ADMIN_TOKEN): create, list, credit and revoke managed keys. A new key's
 * secret is in the creation answer only. `npm run keys` is a small client of this API.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import { bearerToken, secretsEqual } from '../access/auth'
import { forgetAllowedOrigins } from '../access/cors'
import { createKey, keyIndex, updateKey } from '../access/keys'
import type { Usage } from '../billing/ledger'
import { ledgerName, ledgerOf } from '../billing/ledger-name'
import { MICROS_PER_USD, usd } from '../billing/prices'
import type { AppEnv, Bindings } from '../env'
import { fail } from '../errors'
import { MODEL_IDS, QUALITIES } from '../models'
import type { KeyRecord } from '../principal'
import { MAX_IMAGES } from '../result/limits'
import { keyListSchema, keyViewSchema, newKeyResponseSchema } from '../schema/responses'
import { BODY_ERRORS, CLIENT_KEY, errorResponses, openApiRouter } from './openapi'
import { jsonBody } from './request-body'

export const admin = openApiRouter()

const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('authorization'))
  const expected = c.var.settings.adminToken
  if (!expected)
    fail({
      kind: 'forbidden',
      code: 'admin_disabled',
      param: null,
      message: 'The admin API is off: set the ADMIN_TOKEN secret.',
    })
  if (!token) fail({ kind: 'missing_api_key' })
  if (!(await secretsEqual(token, expected))) fail({ kind: 'invalid_api_key' })
  await next()
})

admin.use('/admin/*', requireAdmin)

const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value
  } catch {
    return false
  }
}, 'must be an exact origin such as https://example.com (scheme, host and port only)')

/** The most one admin call may put on a key, so no amount overflows into "unlimited". */
export const MAX_AMOUNT_USD = 1_000_000
const amount = (description: string) =>
  z
    .number()
    .max(MAX_AMOUNT_USD)
    .meta({ description: `${description} At most 1,000,000.` })

const newKeySchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    kind: z.enum(['secret', 'publishable']),
    origins: z.array(origin).optional().meta({
      description: 'Exact origins it may be used from; a publishable key needs at least one.',
    }),
    balance_usd: amount('Starting balance in US dollars; unset: unlimited.').min(0).optional(),
    rate_limit_per_minute: z.int().min(1).optional(),
    client_rate_limit_per_minute: z.int().min(1).optional().meta({
      description:
        'Publishable keys: requests per minute from each client (an IPv4 address, an IPv6 /64) within the key’s own limit, so one client cannot use up the site’s window; unset: PUBLISHABLE_CLIENT_RATE_LIMIT_PER_MINUTE.',
    }),
    cache_scope: z.enum(['shared', 'key']).optional().meta({
      description:
        "'shared' (default): identical requests from any caller share results, so a caller can tell that a prompt was asked before. 'key': this key's results are its own.",
    }),
    permissions: z
      .strictObject({
        models: z.array(z.enum(MODEL_IDS)).min(1).optional(),
        max_n: z.int().min(1).max(MAX_IMAGES).optional(),
        max_size: z
          .string()
          .regex(/^\d+x\d+$/)
          .optional(),
        max_quality: z
          .enum(QUALITIES.filter((q) => q !== 'auto') as ['low', 'medium', 'high'])
          .optional(),
        regenerate: z.boolean().optional().meta({
          description:
            'May force a fresh, paid generation with `Cache-Control: no-cache` (secret keys only).',
        }),
      })
      .optional(),
  })
  .refine((key) => key.kind === 'secret' || (key.origins?.length ?? 0) > 0, {
    path: ['origins'],
    message: 'A publishable key needs at least one origin it may be used from.',
    params: { code: 'missing_required_parameter' },
  })
  .refine((key) => key.kind === 'publishable' || key.client_rate_limit_per_minute === undefined, {
    path: ['client_rate_limit_per_minute'],
    message:
      'Only a publishable key has a limit per client; a secret key’s clients are behind its server.',
    params: { code: 'invalid_value' },
  })
  .refine((key) => key.kind === 'secret' || !key.permissions?.regenerate, {
    path: ['permissions', 'regenerate'],
    message: 'Only a secret key may force paid regenerations; a publishable key sits in a page.',
    params: { code: 'invalid_value' },
  })

/** A key as the admin API shows it: never its secret. */
function view(record: KeyRecord, usage: Usage | null) {
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    origins: record.origins,
    permissions: record.permissions,
    rate_limit_per_minute: record.rateLimitPerMinute,
    client_rate_limit_per_minute: record.clientRateLimitPerMinute ?? null,
    cache_scope: record.cacheScope ?? 'shared',
    created_at: record.createdAt,
    revoked: record.revoked,
    balance_usd: usage?.balanceMicros == null ? null : usd(usage.balanceMicros),
    spent_usd: usage ? usd(usage.spentMicros) : 0,
    requests: usage?.requests ?? 0,
    anomalies: usage?.anomalies ?? 0,
    unbilled_usd: usage ? usd(usage.unbilledMicros ?? 0) : 0,
  }
}

async function usageOf(env: Bindings, hash: string) {
  return ledgerOf(env, ledgerName('key', hash)).usage()
}

const ADMIN_ERRORS = {
  401: 'ADMIN_TOKEN missing or wrong.',
  403: 'The admin API is off (no ADMIN_TOKEN).',
} as const
const keyParam = z.object({ id: z.string().meta({ description: 'The key’s id (`key_…`).' }) })
const keyAnswer = {
  description: 'The key, without its secret.',
  content: { 'application/json': { schema: keyViewSchema } },
}

const create = createRoute({
  method: 'post',
  path: '/admin/keys',
  summary: 'Create a managed key (ADMIN_TOKEN); its secret is shown once',
  security: CLIENT_KEY,
  middleware: [...jsonBody] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: newKeySchema } } },
  },
  responses: {
    201: {
      description: 'The key, with its secret in `key`.',
      content: { 'application/json': { schema: newKeyResponseSchema } },
    },
    ...errorResponses({ ...ADMIN_ERRORS, ...BODY_ERRORS }),
  },
})

admin.openapi(create, async (c) => {
  const { record, secret } = await createKey(c.env, c.req.valid('json'))
  forgetAllowedOrigins()
  const entry = await keyIndex(c.env).get(record.id)
  return c.json(
    { ...view(record, entry ? await usageOf(c.env, entry.hash) : null), key: secret },
    201,
  )
})

const list = createRoute({
  method: 'get',
  path: '/admin/keys',
  summary: 'List managed keys (ADMIN_TOKEN)',
  security: CLIENT_KEY,
  responses: {
    200: {
      description: 'Every key, without secrets.',
      content: { 'application/json': { schema: keyListSchema } },
    },
    ...errorResponses(ADMIN_ERRORS),
  },
})

admin.openapi(list, async (c) => {
  const entries = await keyIndex(c.env).list()
  const data = await Promise.all(
    entries.map(async (e) => view(e.record, await usageOf(c.env, e.hash))),
  )
  return c.json({ object: 'list' as const, data }, 200)
})

const revoke = createRoute({
  method: 'post',
  path: '/admin/keys/{id}/revoke',
  summary: 'Revoke a managed key (ADMIN_TOKEN)',
  security: CLIENT_KEY,
  request: { params: keyParam },
  responses: {
    200: keyAnswer,
    ...errorResponses({ ...ADMIN_ERRORS, 404: 'No such key.' }),
  },
})

admin.openapi(revoke, async (c) => {
  const { id } = c.req.valid('param')
  const updated = await updateKey(c.env, id, { revoked: true })
  if (!updated?.record) fail({ kind: 'not_found', message: `No key ${id}.` })
  forgetAllowedOrigins()
  return c.json(view(updated.record, await usageOf(c.env, updated.hash)), 200)
})

const credit = createRoute({
  method: 'post',
  path: '/admin/keys/{id}/credit',
  summary: 'Add to a managed key’s balance (ADMIN_TOKEN)',
  security: CLIENT_KEY,
  middleware: [...jsonBody] as const,
  request: {
    params: keyParam,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            amount_usd: amount('US dollars to add.').positive(),
          }),
        },
      },
    },
  },
  responses: {
    200: keyAnswer,
    ...errorResponses({ ...ADMIN_ERRORS, ...BODY_ERRORS, 404: 'No such key.' }),
  },
})

admin.openapi(credit, async (c) => {
  const { id } = c.req.valid('param')
  const micros = Math.round(c.req.valid('json').amount_usd * MICROS_PER_USD)
  const updated = await updateKey(c.env, id, { creditMicros: micros })
  if (!updated?.record) fail({ kind: 'not_found', message: `No key ${id}.` })
  return c.json(view(updated.record, await usageOf(c.env, updated.hash)), 200)
})
