/**
 * The owner's call through the pool: an eligible upstream acquired from UpstreamPool (waiting for
 * capacity up to the queue timeout), the request translated for its kind, and failover before the
 * first byte (429, 5xx, timeout, connection, a refused key) to the next; every grant reported once.
 */
import { fail } from '../errors'
import type { Failure } from '../failure'
import { capacityOf, type PoolEntry } from '../pool-config/entry'
import type { Piece } from '../result/pieces'
import type { NormalizedImageRequest } from '../schema/image-request'
import { send, type UpstreamCall } from '../upstream/client'
import { failureFromEvent, failureFromUpstream } from '../upstream/error-mapping'
import { failureFromAzure, failureFromAzureEvent, retryAfterMs } from './azure-errors'
import { withRequestFields } from './azure-meta'
import type { Outcome } from './health-state'
import { outcomeOf } from './outcome'
import type { AcquireFacts, AcquireResult, Grant } from './scheduler'
import { eligibleEntries, needsOf } from './support'
import { prepareCall } from './upstream-call'

/** Upstreams one request may try before its answer starts. */
export const MAX_ATTEMPTS = 3

/** What the owner needs of the UpstreamPool object (its RPC stub). */
export interface PoolService {
  acquire(facts: AcquireFacts): Promise<AcquireResult>
  report(grant: Grant, outcome: Outcome): Promise<void>
  sent(grant: Grant, at: number): Promise<void>
}

export interface PoolCallOptions {
  pool: PoolService
  entries: readonly PoolEntry[]
  request: NormalizedImageRequest
  call: UpstreamCall
  /** The header deadline of each attempt. */
  timeoutMs: number
  /** How long the request may wait in the queue, over all its attempts. */
  maxQueueMs: number
  /** Called once, when the request is about to wait for capacity. */
  onQueued?: () => void
  fetch?: (request: Request) => Promise<Response>
}

/** A 2xx answer from the upstream that served, whose end is reported with `finish`. */
export interface ServedCall {
  response: Response
  entry: PoolEntry
  /** How reading the answer ended (null: it succeeded). Call exactly once. */
  finish(failure: Failure | null): Promise<void>
  /** Reads an `error` event of this upstream's stream. */
  eventFailure: (data: string) => Failure
  /** A piece of its answer in OpenAI's terms (Azure's metadata filled from the request). */
  piece: (piece: Piece) => Piece
}

/** Failures another upstream may not have: the request itself was never judged. */
function movesOn(failure: Failure): boolean {
  switch (failure.kind) {
    case 'upstream_rate_limited':
    case 'upstream_quota_exhausted':
    case 'upstream_credentials_rejected':
      return true
    case 'upstream_unavailable':
      return failure.cause !== 'malformed' && failure.cause !== 'interrupted'
    default:
      return false
  }
}

/** The 429 for a request that waited as long as it may: Retry-After from the pool's estimate. */
function queueFull(waitMs: number): Failure {
  return {
    kind: 'upstream_rate_limited',
    retryAfter: String(Math.max(1, Math.ceil(waitMs / 1000))),
  }
}

/**
 * Calls an upstream of the pool for the request; throws the failure clients see when none served
 * (the last upstream's, or the queue's 429).
 */
export async function callPool(options: PoolCallOptions): Promise<ServedCall> {
  const { pool, request, call } = options
  const routed = eligibleEntries(options.entries, needsOf(request, call.payload))
  if ('refused' in routed) fail(routed.refused)
  const queueUntil = Date.now() + options.maxQueueMs
  const tried = new Set<string>()
  let last: Failure | null = null
  let queued = false
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const candidates = routed.eligible.filter((entry) => !tried.has(entry.name))
    if (candidates.length === 0 || call.signal?.aborted) break
    const facts = { candidates: candidates.map(capacityOf), images: request.n, maxWaitMs: 0 }
    let acquired = await pool.acquire(facts)
    const budget = queueUntil - Date.now()
    if (acquired.kind === 'wait' && acquired.waitMs <= budget) {
      if (!queued) options.onQueued?.()
      queued = true
      acquired = await pool.acquire({ ...facts, maxWaitMs: budget })
    }
    if (acquired.kind === 'wait') fail(queueFull(acquired.waitMs))
    if (acquired.kind === 'unavailable') break
    const { grant } = acquired
    // The generation's deadline passed while it waited: the upstream is not to blame.
    if (call.signal?.aborted) {
      await pool.report(grant, { kind: 'abandoned' })
      break
    }
    const entry = candidates.find((candidate) => candidate.name === grant.upstream) as PoolEntry
    const sentAt = Date.now()
    const served = await attemptOn(entry, options)
    // Went out a second or more after it was granted: the upstream's minute runs from then.
    if (Math.floor(sentAt / 1000) > Math.floor(grant.at / 1000))
      pool.sent(grant, sentAt).catch(() => {})
    if (served.ok) {
      return {
        response: served.response,
        entry,
        eventFailure: entry.kind === 'azure' ? failureFromAzureEvent : failureFromEvent,
        piece: (piece) =>
          entry.kind === 'azure' && piece.kind === 'meta'
            ? { kind: 'meta', meta: withRequestFields(piece.meta, request) }
            : piece,
        finish: (failure) => pool.report(grant, outcomeOf(failure)),
      }
    }
    last = served.failure
    await pool.report(grant, outcomeOf(last, served.retryAfterMs))
    if (last.kind === 'upstream_credentials_rejected' || last.kind === 'upstream_quota_exhausted')
      console.error(
        JSON.stringify({ event: 'upstream_disabled', upstream: entry.name, cause: last.kind }),
      )
    if (!movesOn(last)) break
    // A rate-limited upstream stays a candidate: the pool holds it back until its retry-after,
    // so the request goes elsewhere now, or waits for it within the queue timeout.
    if (last.kind !== 'upstream_rate_limited') tried.add(entry.name)
  }
  fail(last ?? { kind: 'upstream_unavailable', cause: call.signal?.aborted ? 'timeout' : 'status' })
}

type Tried =
  | { ok: true; response: Response }
  | { ok: false; failure: Failure; retryAfterMs: number | null }

/** One attempt on `entry`: its URL, key and body, its errors read as its kind words them. */
async function attemptOn(entry: PoolEntry, options: PoolCallOptions): Promise<Tried> {
  const prepared = prepareCall(entry, options.call.payload)
  let wait: number | null = null
  const classify = (response: Response) => {
    const now = Date.now()
    if (response.status === 429) wait = retryAfterMs(response.headers, now)
    return entry.kind === 'azure' ? failureFromAzure(response, now) : failureFromUpstream(response)
  }
  const attempt = await send(
    {
      url: prepared.url,
      headers: prepared.headers,
      redirect: prepared.redirect,
      timeoutMs: options.timeoutMs,
      // Looked up per call (not captured) so the runtime's fetch, or a test's fake, is used.
      fetch: options.fetch ?? ((outbound) => fetch(outbound)),
      classify,
    },
    { ...options.call, payload: prepared.payload },
  )
  return attempt.ok ? attempt : { ...attempt, retryAfterMs: wait }
}
