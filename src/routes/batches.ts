/**
 * Warm-up batches: POST /v1/images/batches queues up to 1,000 generations (request bodies or signed
 * embed URLs) that run through the same cache, owner and billing as any request; GET reads one,
 * POST .../cancel stops its waiting items. Only the key that made a batch sees it.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { requireCaller } from '../access/auth'
import { MAX_BATCH_ITEMS } from '../background/batches/batch-state'
import { itemSpecOf } from '../background/batches/item-spec'
import { cancelBatch, readBatch, submitBatch } from '../gateway/batch-submit'
import { MAX_AMOUNT_USD } from '../schema/admin-keys'
import { gatewayContext } from './gateway-context'
import { BODY_ERRORS, CLIENT_KEY, errorResponses, KEY_ERRORS, openApiRouter } from './openapi'
import { jsonBodyUpTo } from './request-body'

export const batches = openApiRouter()

/** 1,000 items of a few hundred bytes each, with room for long prompts. */
const MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024

const newBatchSchema = z.strictObject({
  items: z
    .array(
      z.record(z.string(), z.unknown()).meta({
        description:
          'A generation request body (exactly as POST /v1/images/generations takes it), or `{"url": "<signed embed URL>"}`.',
      }),
    )
    .min(1)
    .max(MAX_BATCH_ITEMS),
  max_cost_usd: z.number().min(0).max(MAX_AMOUNT_USD).optional().meta({
    description:
      'The most the batch may spend: an item whose estimate the cap cannot hold is not started (`cancelled_budget`); cached and joined items still complete.',
  }),
  webhook_url: z.string().optional().meta({
    description:
      "Where the batch's end is announced (signed with the key's `webhook_secret`); default: the key's own webhook_url.",
  }),
})

const counts = z.object({
  queued: z.int(),
  in_progress: z.int(),
  completed: z.int(),
  failed: z.int(),
  skipped_cached: z.int(),
  cancelled_budget: z.int(),
  cancelled: z.int(),
})

const batchSchema = z.object({
  id: z.string(),
  object: z.literal('image.batch'),
  status: z.enum(['queued', 'in_progress', 'completed', 'cancelled']),
  total: z.int(),
  counts,
  cost_usd: z.number(),
  max_cost_usd: z.number().nullable(),
  failures: z.array(z.object({ index: z.int(), code: z.string(), message: z.string() })).optional(),
  created_at: z.int().nullable(),
  ended_at: z.int().nullable(),
  expires_at: z.int().nullable(),
})

const acceptedSchema = z.object({
  id: z.string(),
  object: z.literal('image.batch'),
  status: z.literal('queued'),
  total: z.int(),
  url: z.string(),
})

const idParam = z.object({
  id: z.string().meta({ example: 'batch_0123456789abcdef0123456789abcdef' }),
})
const batchAnswer = {
  description: 'The batch: counts by state, cost so far, failures with their codes.',
  content: { 'application/json': { schema: batchSchema } },
}
const NOT_FOUND = { 404: 'No such batch for this key.' }

const create = createRoute({
  method: 'post',
  path: '/batches',
  summary: 'Queue a batch of generations (warm-up)',
  description:
    'Each item is checked as its own request would be; a bad one is a 400 naming `items[i].<field>` and nothing is queued. Items run in the background through the cache: a cached item costs nothing (`skipped_cached`), an identical item in flight is joined.',
  security: CLIENT_KEY,
  middleware: [requireCaller, ...jsonBodyUpTo(MAX_BATCH_BODY_BYTES)] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: newBatchSchema } } },
  },
  responses: {
    202: {
      description: 'Queued; `url` reads its progress.',
      content: { 'application/json': { schema: acceptedSchema } },
    },
    ...errorResponses({ ...KEY_ERRORS, ...BODY_ERRORS, 413: 'Body over 4 MiB.' }),
  },
})

batches.openapi(create, async (c) => {
  const body = c.req.valid('json')
  const items = body.items.map(itemSpecOf)
  const accepted = await submitBatch(gatewayContext(c), { ...body, items })
  return c.json(accepted, 202, { location: accepted.url })
})

const show = createRoute({
  method: 'get',
  path: '/batches/{id}',
  summary: 'A batch’s progress',
  security: CLIENT_KEY,
  middleware: [requireCaller] as const,
  request: { params: idParam },
  responses: { 200: batchAnswer, ...errorResponses({ ...KEY_ERRORS, ...NOT_FOUND }) },
})

batches.openapi(show, async (c) =>
  c.json(await readBatch(gatewayContext(c), c.req.valid('param').id), 200),
)

const cancel = createRoute({
  method: 'post',
  path: '/batches/{id}/cancel',
  summary: 'Cancel a batch',
  description: 'Waiting items are cancelled; items already running finish.',
  security: CLIENT_KEY,
  middleware: [requireCaller] as const,
  request: { params: idParam },
  responses: { 200: batchAnswer, ...errorResponses({ ...KEY_ERRORS, ...NOT_FOUND }) },
})

batches.openapi(cancel, async (c) =>
  c.json(await cancelBatch(gatewayContext(c), c.req.valid('param').id), 200),
)
