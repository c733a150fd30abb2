/**
 * Request ids and one structured log line per request. Log lines carry ids, paths, statuses and
 * timings only: never keys, prompts, request bodies or upstream answers.
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env'

/** Gives each request our own id (x-gateway-request-id) and logs its outcome. */
export const observe = createMiddleware<AppEnv>(async (c, next) => {
  const requestId = `gw_${crypto.randomUUID().replaceAll('-', '')}`
  c.set('requestId', requestId)
  const started = Date.now()
  await next()
  c.res.headers.set('x-gateway-request-id', requestId)
  console.log(
    JSON.stringify({
      event: 'request',
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      upstreamRequestId: c.res.headers.get('x-request-id'),
      ms: Date.now() - started,
    }),
  )
})
