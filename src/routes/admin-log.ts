/**
 * The admin API over the request log (Bearer ADMIN_TOKEN): recent requests with their pictures,
 * usage by day, model or key (JSON or CSV), and the trail of admin actions.
 */
import { createRoute } from '@hono/zod-openapi'
import { requireAdmin } from '../access/auth'
import type { AppContext } from '../env'
import { fail } from '../errors'
import {
  type AdminActionName,
  adminFingerprint,
  type JsonValue,
  listAdminActions,
  recordAdminAction,
} from '../log/admin-actions'
import { CursorError } from '../log/cursor'
import { listRequests, requestEntry } from '../log/requests'
import { dayRange, usage, usageCsv } from '../log/usage'
import {
  actionPageSchema,
  actionsQuerySchema,
  requestPageSchema,
  requestsQuerySchema,
  usagePageSchema,
  usageQuerySchema,
} from './admin-log-schema'
import { ADMIN_TOKEN, errorResponses, openApiRouter } from './openapi'

export const adminLog = openApiRouter()

const ERRORS = errorResponses({
  400: 'A query parameter is invalid (named in `param`).',
  401: 'ADMIN_TOKEN missing or wrong.',
  403: 'The admin API is off (no ADMIN_TOKEN).',
})

function invalid(param: string, message: string): never {
  return fail({ kind: 'invalid_request', code: 'invalid_value', param, message })
}

/** The log's database: configured in wrangler.toml, so its absence is a broken deployment. */
function database(c: AppContext): D1Database {
  const db = c.env.USAGE as D1Database | undefined
  if (!db) fail({ kind: 'internal' })
  return db
}

/** A page read with a client's cursor: one that is not ours is a 400 naming `before`. */
async function paged<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if (error instanceof CursorError) invalid('before', error.message)
    throw error
  }
}

const requests = createRoute({
  method: 'get',
  path: '/admin/requests',
  summary: 'Recent requests, newest first, with their pictures (ADMIN_TOKEN)',
  security: ADMIN_TOKEN,
  middleware: [requireAdmin] as const,
  request: { query: requestsQuerySchema },
  responses: {
    200: {
      description: 'A page of requests; `next` pages on to older ones.',
      content: { 'application/json': { schema: requestPageSchema } },
    },
    ...ERRORS,
  },
})

adminLog.openapi(requests, async (c) => {
  const { limit, before, key, model, cache, status } = c.req.valid('query')
  const origin = new URL(c.req.url).origin
  const page = await paged(() =>
    listRequests(database(c), { limit, before, key, model, cache, status }),
  )
  const data = page.data.map((row) => requestEntry(row, (file) => `${origin}/v1/images/${file}`))
  return c.json({ data, next: page.next }, 200)
})

const usageReport = createRoute({
  method: 'get',
  path: '/admin/usage',
  summary: 'Usage by day, model or key over whole UTC days (ADMIN_TOKEN)',
  security: ADMIN_TOKEN,
  middleware: [requireAdmin] as const,
  request: { query: usageQuerySchema },
  responses: {
    200: {
      description: 'One row per group; `format=csv` gives the same as CSV, a header first.',
      content: {
        'application/json': { schema: usagePageSchema },
        'text/csv': { schema: { type: 'string' } },
      },
    },
    ...ERRORS,
  },
})

adminLog.openapi(usageReport, async (c) => {
  const query = c.req.valid('query')
  const groupBy = query.group_by ?? 'day'
  const range = dayRange(query.from, query.to)
  if (!range) {
    const param = dayRange(query.from, query.from) ? 'to' : 'from'
    return invalid(param, `Invalid '${param}': not a real UTC day (YYYY-MM-DD).`)
  }
  if (range.to <= range.from) return invalid('to', "Invalid 'to': a day before 'from'.")
  const rows = await usage(database(c), { ...range, groupBy })
  if (query.format !== 'csv') return c.json({ data: rows }, 200)
  return c.body(usageCsv(rows, groupBy), 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="usage-${query.from}-${query.to}-${groupBy}.csv"`,
  })
})

const actions = createRoute({
  method: 'get',
  path: '/admin/actions',
  summary: 'What was done through the admin API, newest first (ADMIN_TOKEN)',
  security: ADMIN_TOKEN,
  middleware: [requireAdmin] as const,
  request: { query: actionsQuerySchema },
  responses: {
    200: {
      description: 'A page of actions; `next` pages on to older ones.',
      content: { 'application/json': { schema: actionPageSchema } },
    },
    ...ERRORS,
  },
})

adminLog.openapi(actions, async (c) => {
  const { limit, before } = c.req.valid('query')
  const page = await paged(() => listAdminActions(database(c), { limit, before }))
  const data = page.data.map(({ at, ...action }) => ({
    ...action,
    created_at: new Date(at).toISOString(),
  }))
  return c.json({ data, next: page.next }, 200)
})

/**
 * Writes down an admin action that took effect, by the fingerprint of the token it was made
 * with, off the answer path: the action stands even if the trail cannot be written.
 */
export function recordAction(
  c: AppContext,
  action: AdminActionName,
  target: string | null,
  detail: { [k: string]: JsonValue } = {},
): void {
  const token = c.var.settings.adminToken
  if (!token) return
  const at = Date.now()
  const write = adminFingerprint(token).then((admin) =>
    recordAdminAction(c.env.USAGE, { at, admin, action, target, detail }),
  )
  c.executionCtx.waitUntil(write)
}
