/**
 * One request as the log keeps it: plain data that a request's handling fills in, and the
 * normalization that fits any such value to the table, so one odd row never fails a batch.
 */
import type { Principal } from '../principal'
import { MAX_PROMPT_LENGTH } from '../schema/image-request'

/** `batch`: a batch item's attempt; `job`: an async job's run (issue 22). */
export const REQUEST_KINDS = ['generation', 'edit', 'embed', 'batch', 'job'] as const
export type RequestKind = (typeof REQUEST_KINDS)[number]

/** HIT: served from the cache; JOIN: shared a running generation; BYPASS: `no-cache` forced one. */
export const CACHE_STATES = ['HIT', 'MISS', 'JOIN', 'BYPASS'] as const
export type CacheState = (typeof CACHE_STATES)[number]

export interface RequestRow {
  /** Our request id (x-gateway-request-id). */
  id: string
  /** When the request reached the gateway, ms since the epoch. */
  createdAt: number
  /** A managed key's id, or a label for the other callers (see callerKeyId). */
  keyId: string
  kind: RequestKind
  /** Null when the request was refused before its model was known; likewise size, quality, n. */
  model: string | null
  size: string | null
  quality: string | null
  n: number | null
  /** Null when the request was refused before the cache was asked. */
  cache: CacheState | null
  status: number
  /** The error's code (`rate_limit_exceeded`, `moderation_blocked`…); null on success. */
  code: string | null
  /** Integer micro-dollars: held before the call, taken when settled, what the usage is worth. */
  reservedMicros: number
  chargedMicros: number
  costMicros: number
  /** A hit's or a join's price: what the cache spared the payer. */
  savedMicros: number
  /** The upstream's name, never its URL or key. */
  upstream: string | null
  durationMs: number | null
  /** Time to the answer's first byte. */
  ttfbMs: number | null
  /** Stored file names of the pictures answered, `<32 hex>.png`. */
  images: string[]
  /** The operator's eyes only: never in a log line. */
  prompt: string | null
}

/**
 * Who called: a managed key (secret or publishable) is logged by its id; the others by labels no
 * managed id (`key_…`) can equal.
 */
export function callerKeyId(principal: Principal): string {
  switch (principal.kind) {
    case 'managed':
      return principal.id
    case 'operator':
      return `operator:${principal.keyIndex}`
    case 'signed':
      return 'embed'
    case 'anonymous':
      return 'anonymous'
  }
}

/** A row's largest amount: a million dollars, so sums of many rows stay exact integers. */
export const MAX_ROW_MICROS = 1_000_000_000_000
const MAX_TEXT = 200
const MAX_MS = 2 ** 47 // past the year 6000

function text(value: string, max = MAX_TEXT): string {
  // D1 stores UTF-8: a lone surrogate would come back as U+FFFD, so replace it now.
  return value.slice(0, max).toWellFormed()
}

const optionalText = (value: string | null, max = MAX_TEXT) =>
  value === null ? null : text(value, max)

function integer(value: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(0, Math.round(value))) : 0
}

const optionalInteger = (value: number | null, max: number) =>
  value === null ? null : integer(value, max)

/** The row as the table can hold it: integers in range, texts well formed and bounded. */
export function normalizeRow(row: RequestRow): RequestRow {
  return {
    id: text(row.id),
    createdAt: integer(row.createdAt, MAX_MS),
    keyId: text(row.keyId),
    kind: row.kind,
    model: optionalText(row.model),
    size: optionalText(row.size),
    quality: optionalText(row.quality),
    n: optionalInteger(row.n, 1000),
    cache: row.cache,
    status: integer(row.status, 999),
    code: optionalText(row.code),
    reservedMicros: integer(row.reservedMicros, MAX_ROW_MICROS),
    chargedMicros: integer(row.chargedMicros, MAX_ROW_MICROS),
    costMicros: integer(row.costMicros, MAX_ROW_MICROS),
    savedMicros: integer(row.savedMicros, MAX_ROW_MICROS),
    upstream: optionalText(row.upstream),
    durationMs: optionalInteger(row.durationMs, MAX_MS),
    ttfbMs: optionalInteger(row.ttfbMs, MAX_MS),
    images: row.images.slice(0, 100).map((name) => text(name)),
    prompt: optionalText(row.prompt, MAX_PROMPT_LENGTH),
  }
}

/** The UTC day of a time, `YYYY-MM-DD` (a time out of range counts as the epoch's day). */
export function dayOf(ms: number): string {
  return new Date(integer(ms, MAX_MS)).toISOString().slice(0, 10)
}
