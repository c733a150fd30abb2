/**
 * The admin API (Bearer ADMIN_TOKEN): create, list, credit and revoke managed keys. A new key's
 * secret is in the creation answer only. `npm run keys` is a small client of this API.
 */
import { zValidator } from '@hono/zod-validator'
import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import { z } from 'zod'
import { bearerToken, secretsEqual } from '../access/auth'
import { forgetAllowedOrigins } from '../access/cors'
import type { KeyRecord } from '../access/key-record'
import { createKey, keyIndex, ledger, updateKey } from '../access/keys'
import type { Usage } from '../access/ledger'
import { MICROS_PER_USD, usd } from '../access/pricing'
import type { AppEnv, Bindings } from '../env'
import { fail } from '../errors'
import { MODEL_IDS, QUALITIES } from '../models'
import { MAX_IMAGES } from '../result/limits'
import { rejectInvalid } from '../schema/validation-hook'
import { jsonBody } from './request-body'

export const admin = new Hono<AppEnv>()

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

const newKeySchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    kind: z.enum(['secret', 'publishable']),
    origins: z.array(origin).optional(),
    balance_usd: z.number().min(0).optional(),
    rate_limit_per_minute: z.int().min(1).optional(),
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
      })
      .optional(),
  })
  .refine((key) => key.kind === 'secret' || (key.origins?.length ?? 0) > 0, {
    path: ['origins'],
    message: 'A publishable key needs at least one origin it may be used from.',
    params: { code: 'missing_required_parameter' },
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
    created_at: record.createdAt,
    revoked: record.revoked,
    balance_usd: usage?.balanceMicros == null ? null : usd(usage.balanceMicros),
    spent_usd: usage ? usd(usage.spentMicros) : 0,
    requests: usage?.requests ?? 0,
  }
}

async function usageOf(env: Bindings, hash: string) {
  return ledger(env, `key:${hash}`).usage()
}

admin.post(
  '/admin/keys',
  ...jsonBody,
  zValidator('json', newKeySchema, rejectInvalid),
  async (c) => {
    const { record, secret } = await createKey(c.env, c.req.valid('json'))
    forgetAllowedOrigins()
    const entry = await keyIndex(c.env).get(record.id)
    return c.json(
      { ...view(record, entry ? await usageOf(c.env, entry.hash) : null), key: secret },
      201,
    )
  },
)

admin.get('/admin/keys', async (c) => {
  const entries = await keyIndex(c.env).list()
  const data = await Promise.all(
    entries.map(async (e) => view(e.record, await usageOf(c.env, e.hash))),
  )
  return c.json({ object: 'list', data })
})

admin.post('/admin/keys/:id/revoke', async (c) => {
  const updated = await updateKey(c.env, c.req.param('id'), { revoked: true })
  if (!updated?.record) fail({ kind: 'not_found', message: `No key ${c.req.param('id')}.` })
  forgetAllowedOrigins()
  return c.json(view(updated.record, await usageOf(c.env, updated.hash)))
})

admin.post(
  '/admin/keys/:id/credit',
  ...jsonBody,
  zValidator('json', z.strictObject({ amount_usd: z.number().positive() }), rejectInvalid),
  async (c) => {
    const micros = Math.round(c.req.valid('json').amount_usd * MICROS_PER_USD)
    const updated = await updateKey(c.env, c.req.param('id'), { creditMicros: micros })
    if (!updated?.record) fail({ kind: 'not_found', message: `No key ${c.req.param('id')}.` })
    return c.json(view(updated.record, await usageOf(c.env, updated.hash)))
  },
)
