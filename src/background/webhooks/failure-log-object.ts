/**
 * The operator's list of undeliverable webhooks, one Durable Object for the deployment (failures
 * are rare, so one writer is plenty), in its SQLite storage, the newest 1000 kept.
 */
import { DurableObject } from 'cloudflare:workers'
import {
  type DeliveryFailureLog,
  type FailedDelivery,
  type FailureQuery,
  MAX_FAILURE_ENTRIES,
} from './failure-log'

/** The one instance's name. */
export const FAILURE_LOG_NAME = 'webhook-failures'

type Row = Record<string, SqlStorageValue>

export class WebhookFailureLog extends DurableObject<Env> implements DeliveryFailureLog {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS failures (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, key_id TEXT NOT NULL,
      entry TEXT NOT NULL)`)
  }

  async record(entry: FailedDelivery): Promise<void> {
    const sql = this.ctx.storage.sql
    sql.exec('DELETE FROM failures WHERE id = ?', entry.id)
    sql.exec(
      'INSERT INTO failures (id, key_id, entry) VALUES (?, ?, ?)',
      entry.id,
      entry.keyId,
      JSON.stringify(entry),
    )
    sql.exec(
      'DELETE FROM failures WHERE seq <= (SELECT MAX(seq) FROM failures) - ?',
      MAX_FAILURE_ENTRIES,
    )
  }

  async list(query: FailureQuery = {}): Promise<FailedDelivery[]> {
    const limit = Math.min(query.limit ?? MAX_FAILURE_ENTRIES, MAX_FAILURE_ENTRIES)
    const sql = this.ctx.storage.sql
    const rows =
      query.keyId === undefined
        ? sql.exec<Row>('SELECT entry FROM failures ORDER BY seq DESC LIMIT ?', limit)
        : sql.exec<Row>(
            'SELECT entry FROM failures WHERE key_id = ? ORDER BY seq DESC LIMIT ?',
            query.keyId,
            limit,
          )
    return rows.toArray().map((row) => JSON.parse(String(row.entry)) as FailedDelivery)
  }
}

/** The log as the consumer and the admin API use it, through the deployment's one instance. */
export function durableFailureLog(
  namespace: DurableObjectNamespace<WebhookFailureLog>,
): DeliveryFailureLog {
  const stub = () => namespace.get(namespace.idFromName(FAILURE_LOG_NAME))
  return {
    record: async (entry) => {
      await stub().record(entry)
    },
    list: async (query) => (await stub().list(query)) as FailedDelivery[],
  }
}
