/**
 * The admin API (Bearer ADMIN_TOKEN): create, list, credit and revoke managed keys. A new key's
 * secret is in the creation answer only. `npm run keys` is a small client of this API.
 */
import { createRoute } from '@hono/zod-openapi'
import { requireAdmin } from '../access/auth'
import { forgetAllowedOrigins } from '../access/cors'
import { createKey, keyIndex, shownKey, updateKey } from '../access/keys'
import { MICROS_PER_USD } from '../billing/prices'
import { fail } from '../errors'
import { creditSchema, keyParam, newKeySchema } from '../schema/admin-keys'
import { keyListSchema, newKeyResponseSchema, shownKeySchema } from '../schema/responses'
import { recordAction } from './admin-log'
import { ADMIN_TOKEN, BODY_ERRORS, errorResponses, openApiRouter } from './openapi'
import { jsonBody } from './request-body'

export const admin = openApiRouter()

admin.use('/admin/*', requireAdmin)

const ADMIN_ERRORS = {
  401: 'ADMIN_TOKEN missing or wrong.',
  403: 'The admin API is off (no ADMIN_TOKEN).',
} as const
const keyAnswer = {
  description: 'The key, without its secret.',
  content: { 'application/json': { schema: shownKeySchema } },
}

const create = createRoute({
  method: 'post',
  path: '/admin/keys',
  summary: 'Create a managed key (ADMIN_TOKEN); its secret is shown once',
  security: ADMIN_TOKEN,
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
  const asked = c.req.valid('json')
  const { record, secret } = await createKey(c.env, asked)
  forgetAllowedOrigins()
  recordAction(c, 'key.create', record.id, {
    name: record.name,
    kind: record.kind,
    balance_usd: asked.balance_usd ?? null,
  })
  const entry = await keyIndex(c.env).get(record.id)
  return c.json({ ...(await shownKey(c.env, record, entry?.hash ?? null)), key: secret }, 201)
})

const list = createRoute({
  method: 'get',
  path: '/admin/keys',
  summary: 'List managed keys (ADMIN_TOKEN)',
  security: ADMIN_TOKEN,
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
  const data = await Promise.all(entries.map((e) => shownKey(c.env, e.record, e.hash)))
  return c.json({ object: 'list' as const, data }, 200)
})

const revoke = createRoute({
  method: 'post',
  path: '/admin/keys/{id}/revoke',
  summary: 'Revoke a managed key (ADMIN_TOKEN)',
  security: ADMIN_TOKEN,
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
  recordAction(c, 'key.revoke', id)
  return c.json(await shownKey(c.env, updated.record, updated.hash), 200)
})

const credit = createRoute({
  method: 'post',
  path: '/admin/keys/{id}/credit',
  summary: 'Add to a managed key’s balance (ADMIN_TOKEN)',
  security: ADMIN_TOKEN,
  middleware: [...jsonBody] as const,
  request: {
    params: keyParam,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: creditSchema,
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
  const amount = c.req.valid('json').amount_usd
  const micros = Math.round(amount * MICROS_PER_USD)
  const updated = await updateKey(c.env, id, { creditMicros: micros })
  if (!updated?.record) fail({ kind: 'not_found', message: `No key ${id}.` })
  recordAction(c, 'key.credit', id, { amount_usd: amount })
  return c.json(await shownKey(c.env, updated.record, updated.hash), 200)
})
