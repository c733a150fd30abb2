/**
 * The gateway core for async jobs: the request a client left behind, made by the one owner of its
 * cache key with no client waiting, paid by its key as the synchronous request would have been.
 */
import { principalOf } from '../access/owner'
import type { JobOutcome } from '../background/jobs/job-consumer'
import type { JobMessage } from '../background/jobs/job-message'
import { payerFor } from '../billing/reservations'
import type { JoinRequest, Settled } from '../generation/coordinator'
import { type BackgroundContext, isRetryable } from './batch-item'
import { NO_TIMING } from './context'
import { ownerOf } from './obtain'

export function gatewayJobRunner(bg: BackgroundContext): (job: JobMessage) => Promise<JobOutcome> {
  return async (job) => {
    const { env, settings } = bg
    const principal = await principalOf(env, settings, job.ownerKeyId)
    if (!principal) {
      const failure = { kind: 'invalid_api_key' } as const
      return { status: 'failed', failure, retryable: false, handedOver: false }
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
    }
    const ctx = { ...bg, principal, origin: '', timing: NO_TIMING }
    const settled = (await ownerOf(ctx, job.key).settle(joining, true)) as Settled
    if (settled.kind === 'done' || settled.kind === 'cached') return { status: 'ok' }
    const failure = settled.kind === 'failed' ? settled.failure : ({ kind: 'internal' } as const)
    return { status: 'failed', failure, retryable: isRetryable(failure), handedOver: true }
  }
}
