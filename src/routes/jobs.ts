/**
 * GET /v1/images/jobs/{id}: an async request's job (`Prefer: respond-async`), for the key that
 * made it: 202 and its status while it runs, then exactly the synchronous answer (or its error);
 * its events with SSE ids, resuming after Last-Event-ID, at `/events` (or with `Accept:
 * text/event-stream` when the job was made without `stream: true`).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { requireCaller } from '../access/auth'
import { parseLastEventId } from '../background/jobs/job-events'
import { streamJob } from '../gateway/job-stream'
import { readJob } from '../gateway/job-submit'
import { imagesResponseSchema } from '../schema/responses'
import { gatewayContext } from './gateway-context'
import { CLIENT_KEY, errorResponses, KEY_ERRORS, openApiRouter } from './openapi'

export const jobs = openApiRouter()

/** A job's status, as 202 answers it and webhooks carry it. */
export const jobStatusSchema = z.object({
  id: z.string(),
  object: z.literal('image.job'),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  kind: z.enum(['generation', 'edit']),
  created_at: z.int().nullable(),
  ended_at: z.int().nullable(),
  expires_at: z.int().nullable(),
})

/** The headers that make POST /v1/images/generations and /edits answer with a job. */
export const ASYNC_HEADERS = {
  prefer: z.string().optional().meta({
    description:
      '`respond-async` answers 202 at once with `Location: /v1/images/jobs/{id}` (needs a client key); the picture is made in the background, billed and cached as usual.',
  }),
  'x-webhook-url': z.string().optional().meta({
    description:
      "With `Prefer: respond-async`: where the job's end is announced (signed with the key's `webhook_secret`); default: the key's webhook_url.",
  }),
}

/** The 202 a request with `Prefer: respond-async` gets. */
export const ACCEPTED_JOB = {
  202: {
    description:
      'With `Prefer: respond-async`: the job, queued (or completed at once from the cache); `Location` and `url` say where to read it.',
    content: { 'application/json': { schema: jobStatusSchema.extend({ url: z.string() }) } },
  },
}

const show = createRoute({
  method: 'get',
  path: '/jobs/{id}',
  summary: 'An async request’s job',
  description:
    'Made by POST /v1/images/generations or /edits with `Prefer: respond-async` (answered 202 with `Location`). Kept a day after it ends.',
  security: CLIENT_KEY,
  middleware: [requireCaller] as const,
  request: {
    params: z.object({ id: z.string().meta({ example: 'job_0123456789abcdef0123456789abcdef' }) }),
    headers: z.object({
      accept: z.string().optional().meta({
        description:
          '`text/event-stream` streams the job’s events (as `/events` does), unless the job was made with `stream: true`: then its answer is itself SSE, and its events are only at `/events`.',
      }),
      'last-event-id': z.string().optional().meta({
        description: 'With the stream: only the events after this one.',
      }),
    }),
  },
  responses: {
    200: {
      description:
        'Done: exactly the answer the synchronous request would have had (its `response_format`; for `stream: true`, its SSE with the `image_generation.completed` events, as a cache hit answers); or, with `Accept: text/event-stream` for a job made without `stream: true`, the job’s events.',
      content: {
        'application/json': { schema: imagesResponseSchema },
        'text/event-stream': { schema: z.string() },
      },
    },
    202: {
      description: 'Not done yet: its status.',
      content: { 'application/json': { schema: jobStatusSchema } },
    },
    ...errorResponses({
      ...KEY_ERRORS,
      400: 'The job failed with this error (as the synchronous request would have).',
      404: 'No such job for this key, or its result is no longer stored.',
    }),
  },
})

jobs.openapi(show, async (c) => {
  const { id } = c.req.valid('param')
  const headers = c.req.valid('header')
  const ctx = gatewayContext(c)
  const after = parseLastEventId(headers['last-event-id'] ?? null)
  const wantsEvents = (headers.accept ?? '').includes('text/event-stream')
  return readJob(ctx, id, wantsEvents ? () => streamJob(ctx, id, after) : undefined)
})

const events = createRoute({
  method: 'get',
  path: '/jobs/{id}/events',
  summary: 'An async request’s job events',
  description:
    'The job’s events (`job.queued`, `job.in_progress`, `job.completed` or `job.failed`) as server-sent events, each with an `id:`, live until the job ends; resumes after `Last-Event-ID`. For any job, also one made with `stream: true`.',
  security: CLIENT_KEY,
  middleware: [requireCaller] as const,
  request: {
    params: show.request.params,
    headers: z.object({
      'last-event-id': z.string().optional().meta({
        description: 'Only the events after this one.',
      }),
    }),
  },
  responses: {
    200: {
      description: 'The events.',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...errorResponses({ ...KEY_ERRORS, 404: 'No such job for this key.' }),
  },
})

jobs.openapi(events, async (c) => {
  const { id } = c.req.valid('param')
  const after = parseLastEventId(c.req.valid('header')['last-event-id'] ?? null)
  return streamJob(gatewayContext(c), id, after)
})
