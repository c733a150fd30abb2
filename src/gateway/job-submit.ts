/**
 * Async single requests (`Prefer: respond-async`): the request is checked as usual, then answered
 * 202 with where its job is; the job runs from a queue. Reading a job answers its status, once
 * done exactly the synchronous answer, or (SSE) its events, resuming after a Last-Event-ID.
 */
import { answerResponse } from '../answer/respond'
import { shapeOf } from '../answer/shapes'
import { announce } from '../background/batches/record-api'
import type { JobMessage } from '../background/jobs/job-message'
import { fitsQueue } from '../background/jobs/job-message'
import type { JobRecord } from '../background/jobs/job-record'
import { type JobView, publicJob } from '../background/jobs/job-view'
import { jobRecord } from '../background/jobs/record-api'
import { newRecordId, RECORD_ID_PATTERN } from '../background/records'
import { cacheKey } from '../cache/cache-key'
import { releaseInputs } from '../cache/inputs'
import { fail } from '../errors'
import type { Failure } from '../failure'
import { hitBody } from '../generation/hit'
import { kindOf } from '../schema/image-request'
import { inputObjects } from '../upstream/payload'
import { assertUpstreamSupports } from '../upstream/target'
import type { Ask } from './ask'
import { ownerKeyOf, webhookTarget } from './batch-submit'
import type { GatewayContext } from './context'
import { countHit } from './hit'
import { cacheContext, nearbyStore } from './obtain'

/** Whether a Prefer header asks for an async answer (RFC 7240). */
export function prefersAsync(prefer: string | undefined): boolean {
  return (prefer ?? '').split(',').some((p) => p.trim().toLowerCase() === 'respond-async')
}

/** Makes the job for `ask` and answers 202 with its Location; a cached result ends it at once. */
export async function acceptJob(
  ctx: GatewayContext,
  ask: Ask,
  webhookUrl: string | undefined,
): Promise<Response> {
  const objects = inputObjects(ask.payload)
  let handedOver = false
  try {
    const owner = ownerKeyOf(ctx)
    const webhook = webhookTarget(ctx, owner, webhookUrl)
    assertUpstreamSupports(ctx.settings.upstream, ask.request)
    const key = await cacheKey(ask.request, cacheContext(ctx))
    const id = newRecordId('job')
    const message: JobMessage = {
      kind: 'job',
      v: 1,
      jobId: id,
      ownerKeyId: owner,
      key,
      request: ask.request,
      payload: ask.payload,
      inputs: [...objects],
      replace: ask.replace,
    }
    if (!fitsQueue(message)) fail(tooLarge)
    const stub = record(ctx, id)
    const kind = kindOf(ask.request)
    const { response_format: responseFormat, stream } = ask.request
    const init = { id, ownerKeyId: owner, kind, responseFormat, stream, webhook }
    const created = await stub.create(init)
    if (!created.ok) fail({ kind: 'internal' })
    ctx.log?.request(ask.request)
    const cached = ask.replace ? null : await nearbyStore(ctx).lookup(key)
    // Answered from the cache at once: this request's row is a hit, counted like any.
    if (cached) countHit(ctx, ask.request, cached)
    const api = jobRecord(ctx.env.JOBS, id)
    const notify = async (m: unknown) => {
      await ctx.env.WEBHOOKS.send(m, { contentType: 'json' })
    }
    if (cached) await announce(api, await api.complete({ cacheKey: key }), notify)
    else {
      await ctx.env.JOB_RUNS.send(message, { contentType: 'json' })
      handedOver = true
    }
    const view = (await stub.view(owner)) as JobView
    const location = `/v1/images/jobs/${id}`
    return Response.json(
      { ...publicJob(view), url: `${ctx.origin}${location}` },
      {
        status: 202,
        headers: { location, 'preference-applied': 'respond-async' },
      },
    )
  } finally {
    if (!handedOver && objects.length > 0)
      ctx.waitUntil(releaseInputs(ctx.env.IMAGES, { objects, keep: false }, false))
  }
}

/**
 * A job for its owner: pending (202 and its status), its answer, or its failure's error. `events`
 * (the caller accepts SSE) answers the job's events instead, unless the job was made with
 * `stream: true`: its answer is SSE itself, and its events are only at `/events`.
 */
export async function readJob(
  ctx: GatewayContext,
  id: string,
  events?: () => Promise<Response>,
): Promise<Response> {
  const view = await jobView(ctx, id)
  if (events && !view.stream) return events()
  if (view.status === 'failed') fail(view.failure ?? { kind: 'internal' })
  if (view.status !== 'completed' || !view.result)
    return Response.json(publicJob(view), { status: 202, headers: { 'retry-after': '5' } })
  const store = nearbyStore(ctx)
  const entry = await store.lookup(view.result.cacheKey)
  if (!entry) fail(gone(id))
  // A cache hit's shape: for stream: true, the SSE answer with its completed events.
  const shape = shapeOf({ stream: view.stream, response_format: view.responseFormat })
  const body = hitBody(shape, entry, store, ctx.origin, view.kind)
  return answerResponse(shape, body, { 'x-job-id': id })
}

/** The job as its owner sees it, or a 404. */
export async function jobView(ctx: GatewayContext, id: string): Promise<JobView> {
  const view = RECORD_ID_PATTERN.test(id) ? await record(ctx, id).view(ownerKeyOf(ctx)) : null
  if (!view) fail({ kind: 'not_found', message: `No job '${id}'.` })
  return view as JobView
}

export function record(ctx: GatewayContext, id: string): DurableObjectStub<JobRecord> {
  return ctx.env.JOBS.get(ctx.env.JOBS.idFromName(id))
}

const tooLarge: Failure = {
  kind: 'invalid_request',
  param: 'prompt',
  code: 'prompt_too_long_for_async',
  message:
    'This request is too large to run asynchronously; send it without Prefer: respond-async.',
}

const gone = (id: string): Failure => ({
  kind: 'not_found',
  message: `Job '${id}' completed, but its result is no longer stored.`,
})
