/**
 * Retention for a cron trigger: deletes requests and view counts older than N days, in bounded
 * chunks so no statement runs long on a big table. Admin actions stay: they are the audit trail.
 */
import { dayOf } from './row'

export const DEFAULT_RETENTION_DAYS = 30
const DAY_MS = 86_400_000

export interface PruneOptions {
  /** Rows older than this many days (before `now` minus days) go. */
  days: number
  now: number
  /** Rows per DELETE statement. */
  chunk?: number
  /** Statements per table per run; the next run continues where this one stopped. */
  maxChunks?: number
}

export interface PruneResult {
  requests: number
  views: number
  /** False when maxChunks ran out before everything old was gone. */
  done: boolean
}

async function deleteInChunks(
  run: () => Promise<D1Result>,
  chunk: number,
  maxChunks: number,
): Promise<{ deleted: number; done: boolean }> {
  let deleted = 0
  for (let i = 0; i < maxChunks; i++) {
    const changes = (await run()).meta.changes
    deleted += changes
    if (changes < chunk) return { deleted, done: true }
  }
  return { deleted, done: false }
}

/** Deletes what is past retention. Throws on a database failure, for the cron run to show it. */
export async function pruneLog(db: D1Database, options: PruneOptions): Promise<PruneResult> {
  const chunk = options.chunk ?? 1000
  const maxChunks = options.maxChunks ?? 50
  const cutoff = options.now - options.days * DAY_MS
  const requests = db
    .prepare(
      `DELETE FROM request_log WHERE rowid IN
        (SELECT rowid FROM request_log WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)`,
    )
    .bind(cutoff, chunk)
  const views = db
    .prepare(
      `DELETE FROM image_views WHERE (day, image) IN
        (SELECT day, image FROM image_views WHERE day < ?1 LIMIT ?2)`,
    )
    .bind(dayOf(cutoff), chunk)
  const r = await deleteInChunks(() => requests.run(), chunk, maxChunks)
  const v = await deleteInChunks(() => views.run(), chunk, maxChunks)
  return { requests: r.deleted, views: v.deleted, done: r.done && v.done }
}
