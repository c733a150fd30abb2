/**
 * Usage over a time range, summed by UTC day, model or key from the request log: requests,
 * images, spend, cache hits, savings and errors. Sums are taken in integer micro-dollars and
 * turned into dollars once, so a report's total is exactly its rows' total.
 */
import { usd } from '../billing/prices'
import { toCsv } from './csv'

export const USAGE_GROUPS = ['day', 'model', 'key'] as const
export type UsageGroup = (typeof USAGE_GROUPS)[number]

export interface UsageQuery {
  /** Start of the range, ms since the epoch, inclusive. */
  from: number
  /** End of the range, exclusive. */
  to: number
  groupBy: UsageGroup
}

export interface UsageTotals {
  requests: number
  /** Pictures answered (generated, or served from the cache). */
  images: number
  /** What the requests' upstream usage was worth. */
  cost_usd: number
  cache_hits: number
  saved_usd: number
  /** Requests answered with a status of 400 or more. */
  errors: number
}

/** A row names its group by the field the grouping gives it. */
export type UsageRow = UsageTotals &
  ({ period: string } | { model: string | null } | { key_id: string })

const GROUPS = {
  day: { field: 'period', sql: "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')" },
  model: { field: 'model', sql: 'model' },
  key: { field: 'key_id', sql: 'key_id' },
} as const satisfies Record<UsageGroup, { field: string; sql: string }>

interface Summed {
  grp: string | null
  requests: number
  images: number
  cost: number
  cache_hits: number
  saved: number
  errors: number
}

/** Days in order; models and keys by spend, then requests, then name. */
const ORDER: Record<UsageGroup, string> = {
  day: 'grp',
  model: 'cost DESC, requests DESC, grp',
  key: 'cost DESC, requests DESC, grp',
}

export async function usage(db: D1Database, query: UsageQuery): Promise<UsageRow[]> {
  const group = GROUPS[query.groupBy]
  const { results } = await db
    .prepare(
      `SELECT ${group.sql} AS grp, COUNT(*) AS requests, SUM(image_count) AS images,
        SUM(cost_micros) AS cost, SUM(cache IS 'HIT') AS cache_hits,
        SUM(saved_micros) AS saved, SUM(status >= 400) AS errors
      FROM request_log WHERE created_at >= ?1 AND created_at < ?2
      GROUP BY grp ORDER BY ${ORDER[query.groupBy]}`,
    )
    .bind(query.from, query.to)
    .all<Summed>()
  // Each group has a row, and every summed expression is an integer, never null: SUM is exact.
  return results.map((s) =>
    named(query.groupBy, s.grp, {
      requests: s.requests,
      images: s.images,
      cost_usd: usd(s.cost),
      cache_hits: s.cache_hits,
      saved_usd: usd(s.saved),
      errors: s.errors,
    }),
  )
}

function named(groupBy: UsageGroup, group: string | null, totals: UsageTotals): UsageRow {
  switch (groupBy) {
    case 'day':
      return { period: group ?? '', ...totals }
    case 'model':
      return { model: group, ...totals }
    case 'key':
      return { key_id: group ?? '', ...totals }
  }
}

/** The name of a row's group: its day, model or key. */
export const usageGroup = (row: UsageRow): string | null =>
  'period' in row ? row.period : 'model' in row ? row.model : row.key_id

const TOTAL_COLUMNS = [
  'requests',
  'images',
  'cost_usd',
  'cache_hits',
  'saved_usd',
  'errors',
] as const

/** The same rows as CSV: the group's column first, then the totals, a header record on top. */
export function usageCsv(rows: readonly UsageRow[], groupBy: UsageGroup): string {
  return toCsv(
    [GROUPS[groupBy].field, ...TOTAL_COLUMNS],
    rows.map((row) => [usageGroup(row), ...TOTAL_COLUMNS.map((column) => row[column])]),
  )
}

const DAY_MS = 86_400_000
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/** The start of a UTC day `YYYY-MM-DD`, or null when it is not a real date. */
export function startOfDay(day: string): number | null {
  const match = DAY.exec(day)
  if (!match) return null
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  return new Date(ms).toISOString().slice(0, 10) === day ? ms : null
}

/** The range of whole UTC days `from` to `to`, both included; null when either is not a date. */
export function dayRange(from: string, to: string): { from: number; to: number } | null {
  const start = startOfDay(from)
  const end = startOfDay(to)
  return start === null || end === null ? null : { from: start, to: end + DAY_MS }
}
