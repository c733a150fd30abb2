/**
 * The request log's middleware on the image routes: notes a request as it is handled and writes
 * its row off the answer path once the answer is known (never failing the request).
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { GatewayError } from '../errors'
import { RequestNotes } from '../log/request-notes'
import type { RequestKind } from '../log/row'
import { writeRequests } from '../log/writer'

declare module '../env' {
  interface Variables {
    /** The request's log row, on the routes whose requests are logged. */
    requestLog?: RequestNotes
  }
}

/**
 * Logs the route's requests from callers it knows (a key, a signed URL, an admitted anonymous
 * client): a request refused before that (401, a rate limit) writes nothing, so a flood of them
 * costs the database nothing.
 */
export const logRequests = (kind: RequestKind) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const notes = new RequestNotes(c.var.requestId, Date.now(), kind)
    c.set('requestLog', notes)
    await next()
    const principal = c.var.principal
    if (!principal) return
    const failure = !c.error
      ? null
      : c.error instanceof GatewayError
        ? c.error.failure
        : ({ kind: 'internal' } as const)
    const row = notes.answered(principal, c.res.status, failure, Date.now())
    if (row) c.executionCtx.waitUntil(writeRequests(c.env.USAGE, [row]))
  })
