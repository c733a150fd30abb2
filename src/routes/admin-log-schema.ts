/**
 * The admin API over the request log: the queries it reads (typed URL parameters, unknown ones
 * refused) and the answers it gives, the shapes issue 21 names for the console.
 */
import { z } from 'zod'
import { CACHE_STATES, REQUEST_KINDS } from '../log/row'
import { USAGE_GROUPS } from '../log/usage'
import { wholeNumber } from '../schema/query-text'

const DAY = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC day, YYYY-MM-DD')
  .meta({ example: '2026-11-24' })

export const requestsQuerySchema = z.strictObject({
  limit: wholeNumber(z.int().min(1).max(200))
    .optional()
    .meta({ description: 'Rows per page, 1 to 200; 50 when unset.' }),
  before: z.string().max(400).optional().meta({
    description: 'The `next` of the previous page: the rows older than its last.',
  }),
  key: z.string().min(1).max(200).optional().meta({
    description:
      "A managed key's id, or `anonymous`, `embed`, `operator:N` (a GATEWAY_KEYS index).",
  }),
  model: z.string().min(1).max(100).optional(),
  cache: z.enum(CACHE_STATES).optional(),
  status: wholeNumber(z.int().min(100).max(599))
    .optional()
    .meta({ description: 'The HTTP status answered.' }),
})

export const usageQuerySchema = z.strictObject({
  from: DAY.meta({ description: 'The first UTC day, included.' }),
  to: DAY.meta({ description: 'The last UTC day, included.' }),
  group_by: z.enum(USAGE_GROUPS).optional().meta({ description: '`day` when unset.' }),
  format: z.enum(['json', 'csv']).optional().meta({ description: '`csv`: the same rows as CSV.' }),
})

export const actionsQuerySchema = z.strictObject({
  limit: wholeNumber(z.int().min(1).max(200)).optional(),
  before: z.string().max(20).optional().meta({ description: 'The `next` of the previous page.' }),
})

const usdAmount = z.number().meta({ description: 'US dollars.' })

export const requestEntrySchema = z.object({
  id: z.string().meta({ description: 'The request’s x-gateway-request-id.' }),
  created_at: z.string().meta({ description: 'When it reached the gateway (ISO 8601, UTC).' }),
  key_id: z.string().meta({
    description: "A managed key's id, or `anonymous`, `embed`, `operator:N`.",
  }),
  kind: z.enum(REQUEST_KINDS),
  model: z.string().nullable(),
  size: z.string().nullable(),
  quality: z.string().nullable(),
  n: z.int().nullable(),
  cache: z.enum(CACHE_STATES).nullable().meta({
    description: 'HIT, MISS, JOIN (shared a running generation), BYPASS; null: refused first.',
  }),
  status: z.int(),
  code: z.string().nullable().meta({ description: 'The error’s code; null on success.' }),
  cost_usd: usdAmount.meta({ description: 'What the upstream’s usage was worth.' }),
  charged_usd: usdAmount.meta({ description: 'Taken from the payer’s balance.' }),
  reserved_usd: usdAmount.meta({ description: 'Held from the payer’s balance before the call.' }),
  unbilled_usd: usdAmount.meta({
    description: 'A paid request’s cost beyond what was charged (an anomaly when above 0).',
  }),
  saved_usd: usdAmount.meta({ description: 'A hit’s or join’s price, not spent again.' }),
  upstream: z.string().nullable().meta({ description: 'The upstream’s name (never its URL).' }),
  duration_ms: z.int().nullable(),
  ttfb_ms: z.int().nullable().meta({ description: 'Time until the answer began.' }),
  prompt: z.string().nullable(),
  images: z.array(z.object({ url: z.string() })),
})

export const requestPageSchema = z.object({
  data: z.array(requestEntrySchema),
  next: z.string().nullable().meta({ description: 'Pass as `before` for older rows; null: last.' }),
})

const totals = {
  requests: z.int(),
  images: z.int(),
  cost_usd: usdAmount,
  cache_hits: z.int(),
  saved_usd: usdAmount,
  errors: z.int().meta({ description: 'Requests answered with a status of 400 or more.' }),
}

export const usagePageSchema = z.object({
  data: z.array(
    z.union([
      z.object({ period: z.string(), ...totals }),
      z.object({ model: z.string().nullable(), ...totals }),
      z.object({ key_id: z.string(), ...totals }),
    ]),
  ),
})

export const actionPageSchema = z.object({
  data: z.array(
    z.object({
      id: z.int(),
      created_at: z.string(),
      admin: z.string().meta({ description: 'A fingerprint of the admin token used.' }),
      action: z.string(),
      target: z.string().nullable(),
      detail: z.record(z.string(), z.unknown()),
    }),
  ),
  next: z.string().nullable(),
})
