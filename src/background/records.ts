/**
 * What batch and job records share: unguessable ids, the key that owns one (the only one that
 * reads it), a webhook to call when it ends, and its lifetime: a deadline to end by, then a
 * documented keep time, after which its alarm deletes it.
 */

/** Defaults for the keep times and deadlines (phase 2 reads them from settings). */
export const RECORD_TIMES = {
  /** A finished job and its events are kept a day. */
  jobKeepSeconds: 24 * 60 * 60,
  /** A job not finished within an hour has lost its runner: it fails. */
  jobRunSeconds: 60 * 60,
  /** A finished batch's counts and failures are kept a week. */
  batchKeepSeconds: 7 * 24 * 60 * 60,
  /** A batch still open after 4 days (Queues' default message retention) has lost its items. */
  batchRunSeconds: 4 * 24 * 60 * 60,
} as const

/** Where and as whom a record's webhook goes (the key's secret signs it). */
export interface WebhookTarget {
  url: string
  keyId: string
}

export interface Lifetime {
  createdAt: number
  /** By when it must have ended (ms). */
  runDeadline: number
  keepSeconds: number
  endedAt: number | null
}

/** `batch_` or `job_` and 128 random bits in hex: a DO name nobody can guess. */
export function newRecordId(prefix: 'batch' | 'job'): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `${prefix}_${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

export const RECORD_ID_PATTERN = /^(batch|job)_[0-9a-f]{32}$/

/** When an ended record is deleted; null while it runs. */
export const expiresAt = (life: Lifetime): number | null =>
  life.endedAt === null ? null : life.endedAt + life.keepSeconds * 1000

/** When the record's alarm fires next: at its deadline while it runs, then at its expiry. */
export const nextAlarm = (life: Lifetime): number => expiresAt(life) ?? life.runDeadline

/** A record made, or why not. */
export type Created<View> = { ok: true; view: View } | { ok: false; error: string }

/** Seconds a caller may give: whole, 1 s to a year. */
const validSeconds = (seconds: number) =>
  Number.isInteger(seconds) && seconds >= 1 && seconds <= 366 * 24 * 60 * 60

/** A new record's lifetime from its init, or what is wrong with the times given. */
export function lifetime(
  init: { now?: number; runSeconds?: number; keepSeconds?: number },
  runDefault: number,
  keepDefault: number,
): Lifetime | string {
  const run = init.runSeconds ?? runDefault
  const keepSeconds = init.keepSeconds ?? keepDefault
  if (!validSeconds(run) || !validSeconds(keepSeconds))
    return 'times are whole seconds, 1 s to a year'
  const createdAt = init.now ?? Date.now()
  return { createdAt, runDeadline: createdAt + run * 1000, keepSeconds, endedAt: null }
}
