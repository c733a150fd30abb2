/**
 * GET /v1/admin/webhooks/failures (ADMIN_TOKEN): the webhooks that could not be delivered (the
 * receiver kept failing for over a day, refused its URL, answered 410, or the key has no secret),
 * newest first, so the operator can tell a customer what they missed.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { requireAdmin } from '../access/auth'
import { durableFailureLog } from '../background/webhooks/failure-log-object'
import { ADMIN_TOKEN, errorResponses, openApiRouter } from './openapi'

export const adminWebhooks = openApiRouter()

const failureSchema = z.object({
  id: z.string().meta({ description: 'The webhook-id every attempt carried.' }),
  url: z.string(),
  type: z.string(),
  key_id: z.string(),
  attempts: z.int().nullable(),
  reason: z.string().meta({
    description:
      '`status` (the last answer, in `status`), `network`, `timeout`, `redirect`, `gone` (410), `refused_url:<why>`, `no_secret`, or `dead_lettered`.',
  }),
  status: z.int().nullable(),
  created_at: z.int(),
  failed_at: z.int(),
})

const failures = createRoute({
  method: 'get',
  path: '/admin/webhooks/failures',
  summary: 'Webhooks that could not be delivered (ADMIN_TOKEN)',
  security: ADMIN_TOKEN,
  middleware: [requireAdmin] as const,
  request: {
    query: z.object({
      key_id: z.string().max(128).optional().meta({ description: 'Only this key’s.' }),
    }),
  },
  responses: {
    200: {
      description: 'The newest 1,000 at most, newest first (times in Unix seconds).',
      content: {
        'application/json': {
          schema: z.object({ object: z.literal('list'), data: z.array(failureSchema) }),
        },
      },
    },
    ...errorResponses({
      401: 'ADMIN_TOKEN missing or wrong.',
      403: 'The admin API is off (no ADMIN_TOKEN).',
    }),
  },
})

adminWebhooks.openapi(failures, async (c) => {
  const keyId = c.req.valid('query').key_id
  const entries = await durableFailureLog(c.env.WEBHOOK_FAILURES).list(
    keyId === undefined ? {} : { keyId },
  )
  const data = entries.map((entry) => ({
    id: entry.id,
    url: entry.url,
    type: entry.type,
    key_id: entry.keyId,
    attempts: entry.attempts,
    reason: entry.reason,
    status: entry.status,
    created_at: Math.floor(entry.createdAt / 1000),
    failed_at: Math.floor(entry.failedAt / 1000),
  }))
  return c.json({ object: 'list' as const, data }, 200)
})
