/**
 * The request list for the admin API and the console: newest first, paged by an opaque cursor,
 * filtered by key, model, cache or status. Each filter has an index ending in (created_at, id).
 */
import { usd } from '../billing/prices'
import { decodeCursor, encodeCursor } from './cursor'
import type { CacheState, RequestKind, RequestRow } from './row'

export const DEFAULT_PAGE = 50
export const MAX_PAGE = 200

export interface RequestQuery {
  /** Rows per page, 1 to MAX_PAGE (clamped); DEFAULT_PAGE when unset. */
  limit?: number
  /** The `next` of the previous page; CursorError when it is not one. */
  before?: string | null
  key?: string
  model?: string
  cache?: CacheState
  status?: number
}

export interface RequestPage {
  data: RequestRow[]
  /** The cursor of the following (older) page; null on the last. */
  next: string | null
}

interface StoredRow {
  id: string
  created_at: number
  key_id: string
  kind: RequestKind
  model: string | null
  size: string | null
  quality: string | null
  n: number | null
  cache: CacheState | null
  status: number
  code: string | null
  reserved_micros: number
  charged_micros: number
  cost_micros: number
  saved_micros: number
  upstream: string | null
  duration_ms: number | null
  ttfb_ms: number | null
  images: string
  prompt: string | null
}

function images(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json)
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
  } catch {
    return []
  }
}

function fromStored(s: StoredRow): RequestRow {
  return {
    id: s.id,
    createdAt: s.created_at,
    keyId: s.key_id,
    kind: s.kind,
    model: s.model,
    size: s.size,
    quality: s.quality,
    n: s.n,
    cache: s.cache,
    status: s.status,
    code: s.code,
    reservedMicros: s.reserved_micros,
    chargedMicros: s.charged_micros,
    costMicros: s.cost_micros,
    savedMicros: s.saved_micros,
    upstream: s.upstream,
    durationMs: s.duration_ms,
    ttfbMs: s.ttfb_ms,
    images: images(s.images),
    prompt: s.prompt,
  }
}

const clampLimit = (limit: number | undefined) =>
  limit === undefined || !Number.isFinite(limit)
    ? DEFAULT_PAGE
    : Math.min(MAX_PAGE, Math.max(1, Math.trunc(limit)))

/** The SQL and values of a page query (exported for the index test's EXPLAIN). */
export function pageQuery(query: RequestQuery): { sql: string; values: (string | number)[] } {
  const where: string[] = []
  const values: (string | number)[] = []
  const filters = [
    ['key_id', query.key],
    ['model', query.model],
    ['cache', query.cache],
    ['status', query.status],
  ] as const
  for (const [column, value] of filters) {
    if (value === undefined) continue
    values.push(value)
    where.push(`${column} = ?${values.length}`)
  }
  if (query.before) {
    const cursor = decodeCursor(query.before)
    values.push(cursor.createdAt, cursor.id)
    where.push(`(created_at, id) < (?${values.length - 1}, ?${values.length})`)
  }
  values.push(clampLimit(query.limit) + 1)
  const sql = `SELECT * FROM request_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY created_at DESC, id DESC LIMIT ?${values.length}`
  return { sql, values }
}

/** A page of requests, newest first (ties in time by id, descending). */
export async function listRequests(db: D1Database, query: RequestQuery): Promise<RequestPage> {
  const limit = clampLimit(query.limit)
  const { sql, values } = pageQuery(query)
  const { results } = await db
    .prepare(sql)
    .bind(...values)
    .all<StoredRow>()
  const data = results.slice(0, limit).map(fromStored)
  const last = data.at(-1)
  const next =
    results.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null
  return { data, next }
}

/**
 * A paid request's cost beyond what its payer was charged (a settlement never takes more than
 * was held): an anomaly the console highlights. Requests nobody paid for (no hold) have none.
 */
export const unbilledMicros = (row: RequestRow): number =>
  row.reservedMicros > 0 ? Math.max(0, row.costMicros - row.chargedMicros) : 0

/**
 * A row as the admin API shows it: dollars, an ISO time, and picture URLs made by `imageUrl`
 * from a stored file name (the route knows its origin; the console adds `?width=`).
 */
export function requestEntry(row: RequestRow, imageUrl: (file: string) => string) {
  return {
    id: row.id,
    created_at: new Date(row.createdAt).toISOString(),
    key_id: row.keyId,
    kind: row.kind,
    model: row.model,
    size: row.size,
    quality: row.quality,
    n: row.n,
    cache: row.cache,
    status: row.status,
    code: row.code,
    cost_usd: usd(row.costMicros),
    charged_usd: usd(row.chargedMicros),
    reserved_usd: usd(row.reservedMicros),
    unbilled_usd: usd(unbilledMicros(row)),
    saved_usd: usd(row.savedMicros),
    upstream: row.upstream,
    duration_ms: row.durationMs,
    ttfb_ms: row.ttfbMs,
    prompt: row.prompt,
    images: row.images.map((file) => ({ url: imageUrl(file) })),
  }
}
