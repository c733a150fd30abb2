/**
 * GET /v1/admin/upstreams (ADMIN_TOKEN): the pool as the operator sees it, per upstream its kind,
 * state, images in the last minute against its capacity, last error and queue; never a key or URL.
 */
import { createRoute } from '@hono/zod-openapi'
import { z } from 'zod'
import { requireAdmin } from '../access/auth'
import { POOL_OBJECT_NAME } from '../pool/upstream-pool'
import type { UpstreamView } from '../pool/view'
import { capacityOf } from '../pool-config/entry'
import { ADMIN_TOKEN, errorResponses, openApiRouter } from './openapi'

export const adminUpstreams = openApiRouter()

const upstreamSchema = z.object({
  name: z.string(),
  kind: z.enum(['openai', 'azure']),
  state: z.enum(['healthy', 'cooling_down', 'open', 'half_open', 'disabled']),
  images_last_minute: z.int(),
  capacity: z.int().nullable().meta({
    description: 'Images a minute: declared, learned from 429s, or null (none known yet).',
  }),
  capacity_source: z.enum(['declared', 'learned']).nullable(),
  state_until: z.string().nullable().meta({ description: 'When the state ends by itself.' }),
  last_error: z
    .object({
      category: z.enum([
        'rate_limited',
        'status',
        'network',
        'timeout',
        'malformed',
        'interrupted',
        'credentials_rejected',
        'quota_exhausted',
      ]),
      at: z.string(),
    })
    .nullable(),
  queue_length: z.int().meta({ description: 'Requests waiting that this upstream could serve.' }),
})

const listSchema = z.object({
  object: z.literal('list'),
  pooled: z.boolean().meta({
    description:
      'True when UPSTREAMS is set; the legacy upstream (UPSTREAM_BASE_URL / UPSTREAM_API_KEY) and the demo are not tracked, and list no upstreams.',
  }),
  data: z.array(upstreamSchema),
})

const list = createRoute({
  method: 'get',
  path: '/admin/upstreams',
  summary: 'The upstream pool: each upstream’s state, use and queue (ADMIN_TOKEN)',
  tags: ['Admin'],
  security: ADMIN_TOKEN,
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      description: 'Every upstream of UPSTREAMS, in the configured order.',
      content: { 'application/json': { schema: listSchema } },
    },
    ...errorResponses({
      401: 'ADMIN_TOKEN missing or wrong.',
      403: 'The admin API is off (no ADMIN_TOKEN).',
    }),
  },
})

adminUpstreams.openapi(list, async (c) => {
  const { upstream } = c.var.settings
  if (!upstream.pooled) return c.json({ object: 'list' as const, pooled: false, data: [] }, 200)
  const pool = c.env.UPSTREAM_POOL.get(c.env.UPSTREAM_POOL.idFromName(POOL_OBJECT_NAME))
  const views = (await pool.snapshot(upstream.entries.map(capacityOf))) as UpstreamView[]
  const data = views.map((view, index) => ({
    ...view,
    kind: upstream.entries[index]?.kind ?? 'openai',
  }))
  return c.json({ object: 'list' as const, pooled: true, data }, 200)
})
