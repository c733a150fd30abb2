/**
 * The worker's cron trigger: deletes the request log's rows past USAGE_RETENTION_DAYS, in bounded
 * chunks (a run that could not finish leaves the rest to the next one).
 */
import type { Bindings } from './env'
import { pruneLog } from './log/retention'
import { settingsOf } from './settings'

/** A misconfigured environment or a failing database fails the run, for the cron's log to show. */
export async function scheduled(
  controller: ScheduledController,
  env: Bindings,
  _ctx: ExecutionContext,
): Promise<void> {
  const { usageRetentionDays } = settingsOf(env)
  const db = env.USAGE as D1Database | undefined
  if (!db) return
  const now = controller.scheduledTime
  const pruned = await pruneLog(db, { days: usageRetentionDays, now })
  console.log(JSON.stringify({ event: 'request_log_pruned', days: usageRetentionDays, ...pruned }))
}
