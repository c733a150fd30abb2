/**
 * The gateway core for async jobs: the request a client left behind, made by the one owner of its
 * cache key with no client waiting, paid by its key as the synchronous request would have been.
 */
import { principalOf } from '../access/owner'
import type { JobOutcome } from '../background/jobs/job-consumer'
import type { JobMessage } from '../background/jobs/job-message'
import { payerFor } from '../billing/reservations'
import type { JoinRequest, Settled } from '../generation/coordinator'
import { BackgroundRow } from './background-log'
import { type BackgroundContext, isRetryable } from './batch-item'
import { NO_TIMING } from './context'
import { nearbyStore, ownerOf } from './obtain'

/** Each run of a job writes its request-log row (kind `job`), like any request. */
export function gatewayJobRunner(
  bg: BackgroundContext,
): (job: JobMessage, attempt: number) => Promise<JobOutcome> {
  return async (job, attempt) => {
    const row = new BackgroundRow(`${job.jobId}:${attempt}`, job.ownerKeyId, 'job')
    row.request(job.request)
    const outcome = await runJob(bg, job, row).catch((error: unknown) => {
      bg.waitUntil(row.write(bg.env.USAGE, { failure: { kind: 'internal' } }))
      throw error
    })
    const failure = outcome.status === 'failed' ? outcome.failure : null
    bg.waitUntil(row.write(bg.env.USAGE, { failure }))
    return outcome
  }
}

async function runJob(bg: BackgroundContext, job: JobMessage, row: BackgroundRow) {
  const { env, settings } = bg
  const principal = await principalOf(env, settings, job.ownerKeyId)
  if (!principal) {
    const failure = { kind: 'invalid_api_key' } as const
    return { status: 'failed', failure, retryable: false, handedOver: false } as const
  }
  const joining: JoinRequest = {
    key: job.key,
    request: job.request,
    payload: job.payload,
    inputs: { objects: job.inputs, keep: settings.keepEditInputs },
    upstream: settings.upstream,
    replace: job.replace,
    shape: 'json',
    origin: '',
    ttlSeconds: settings.cacheTtlSeconds,
    payer: payerFor(settings, principal, job.request),
    keepAliveMs: settings.sseKeepAliveMs,
    log: row.identity,
  }
  const ctx = { ...bg, principal, origin: '', timing: NO_TIMING }
  row.cache(job.replace ? 'BYPASS' : 'MISS')
  const settled = (await ownerOf(ctx, job.key).settle(joining, true)) as Settled
  if (settled.kind === 'done' && !settled.started) row.cache('JOIN')
  if (settled.kind === 'cached') {
    // Stored just before the job ran: a hit (its ledger counts none, so it saves nothing).
    const stored = await nearbyStore(ctx).store.lookup(job.key)
    row.hit(stored?.images ?? [], 0)
  }
  if (settled.kind === 'done' || settled.kind === 'cached') return { status: 'ok' } as const
  const failure = settled.kind === 'failed' ? settled.failure : ({ kind: 'internal' } as const)
  return { status: 'failed', failure, retryable: isRetryable(failure), handedOver: true } as const
}
