/**
 * Writes the request log off the answer path (`waitUntil`, or the generation's owner): rows and
 * view counts go many statements to one `db.batch`, and a failure is a log line, never thrown.
 */
import { dayOf, normalizeRow, type RequestRow } from './row'

/** Statements per `db.batch`: D1 counts each as a query, and a batch is one transaction. */
export const MAX_BATCH = 50

/** Where a failed write is reported: one JSON line, without the rows (prompts stay out of logs). */
export type FailureReport = (line: { event: string; rows: number; error: string }) => void

const report: FailureReport = (line) => console.error(JSON.stringify(line))

/** Runs a write; a failure is reported with its message only, and swallowed. */
export async function safely(
  event: string,
  rows: number,
  write: () => Promise<unknown>,
  onFailure: FailureReport = report,
): Promise<void> {
  try {
    await write()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    try {
      onFailure({ event, rows, error: message.slice(0, 300) })
    } catch {
      // A reporter that throws must not reach the request either.
    }
  }
}

async function inBatches(db: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  for (let start = 0; start < statements.length; start += MAX_BATCH)
    await db.batch(statements.slice(start, start + MAX_BATCH))
}

/**
 * One request's row may be written twice, by the worker that answered (who, what, the cache,
 * timings) and by the generation's owner (money, pictures, how it ended), in either order: each
 * column merges so the result is the same whichever comes first, and a repeated write changes
 * nothing. Amounts and the status keep the larger; texts the first known; pictures the longer
 * list; the duration the longer (the worker's runs until the answer began, the owner's until the
 * generation ended).
 */
const INSERT_REQUEST = `INSERT INTO request_log (id, created_at, key_id, kind, model, size, quality,
  n, cache, status, code, reserved_micros, charged_micros, cost_micros, saved_micros, upstream,
  duration_ms, ttfb_ms, image_count, images, prompt)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
  ?21) ON CONFLICT (id) DO UPDATE SET
  created_at = MIN(created_at, excluded.created_at),
  model = COALESCE(model, excluded.model),
  size = COALESCE(size, excluded.size),
  quality = COALESCE(quality, excluded.quality),
  n = COALESCE(n, excluded.n),
  cache = COALESCE(cache, excluded.cache),
  status = MAX(status, excluded.status),
  code = COALESCE(code, excluded.code),
  reserved_micros = MAX(reserved_micros, excluded.reserved_micros),
  charged_micros = MAX(charged_micros, excluded.charged_micros),
  cost_micros = MAX(cost_micros, excluded.cost_micros),
  saved_micros = MAX(saved_micros, excluded.saved_micros),
  upstream = COALESCE(upstream, excluded.upstream),
  duration_ms = MAX(COALESCE(duration_ms, excluded.duration_ms),
    COALESCE(excluded.duration_ms, duration_ms)),
  ttfb_ms = COALESCE(ttfb_ms, excluded.ttfb_ms),
  images = CASE WHEN excluded.image_count > image_count THEN excluded.images ELSE images END,
  image_count = MAX(image_count, excluded.image_count),
  prompt = COALESCE(prompt, excluded.prompt)`

/** The values of one row, in INSERT_REQUEST's order. */
export function requestValues(row: RequestRow): (string | number | null)[] {
  const r = normalizeRow(row)
  return [
    r.id,
    r.createdAt,
    r.keyId,
    r.kind,
    r.model,
    r.size,
    r.quality,
    r.n,
    r.cache,
    r.status,
    r.code,
    r.reservedMicros,
    r.chargedMicros,
    r.costMicros,
    r.savedMicros,
    r.upstream,
    r.durationMs,
    r.ttfbMs,
    r.images.length,
    JSON.stringify(r.images),
    r.prompt,
  ]
}

/**
 * Records requests; never rejects. A row whose id is already on record is merged with it (see
 * INSERT_REQUEST). No database (the binding absent) records nothing.
 */
export function writeRequests(
  db: D1Database | undefined,
  rows: readonly RequestRow[],
  onFailure?: FailureReport,
): Promise<void> {
  if (!db || rows.length === 0) return Promise.resolve()
  return safely(
    'request_log_write_failed',
    rows.length,
    () => {
      const insert = db.prepare(INSERT_REQUEST)
      return inBatches(
        db,
        rows.map((row) => insert.bind(...requestValues(row))),
      )
    },
    onFailure,
  )
}

/** One view of a stored image (its file name) at a time. */
export interface ImageView {
  image: string
  at: number
}

const COUNT_VIEWS = `INSERT INTO image_views (day, image, views) VALUES (?1, ?2, ?3)
  ON CONFLICT (day, image) DO UPDATE SET views = views + excluded.views`

/** Adds views to their images' counts for their days (one upsert per image and day); never rejects. */
export function countViews(
  db: D1Database | undefined,
  views: readonly ImageView[],
  onFailure?: FailureReport,
): Promise<void> {
  if (!db || views.length === 0) return Promise.resolve()
  return safely(
    'image_views_write_failed',
    views.length,
    () => {
      const counts = new Map<string, { day: string; image: string; views: number }>()
      for (const view of views) {
        const day = dayOf(view.at)
        const image = view.image.slice(0, 200).toWellFormed()
        const key = `${day}/${image}`
        const entry = counts.get(key) ?? { day, image, views: 0 }
        entry.views++
        counts.set(key, entry)
      }
      const upsert = db.prepare(COUNT_VIEWS)
      return inBatches(
        db,
        [...counts.values()].map((c) => upsert.bind(c.day, c.image, c.views)),
      )
    },
    onFailure,
  )
}
