/**
 * Failures thrown and answered: `fail()` throws one as a GatewayError, and Hono's onError answers
 * it (HTTPExceptions too) through the one mapping to public errors; nothing else builds error bodies.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Failure } from './failure'
import { publicError } from './public-error'

/** A failure thrown through Hono's middleware chain; `handleError` turns it into a response. */
export class GatewayError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind)
    this.name = 'GatewayError'
  }
}

/** Throws a failure. Reads well at call sites: `fail({ kind: 'invalid_api_key' })`. */
export function fail(failure: Failure): never {
  throw new GatewayError(failure)
}

function errorResponse(failure: Failure): Response {
  const { status, body, headers } = publicError(failure)
  return Response.json(body, { status, headers })
}

/**
 * The failure an HTTPException stands for. Hono and its middleware throw these (an unknown
 * route, a body of the wrong media type); they answer through the error model like every other
 * failure, never with Hono's plain-text bodies.
 */
function failureOfHttpException(err: HTTPException, c: Context): Failure {
  switch (err.status) {
    case 400:
      return { kind: 'invalid_json' }
    case 404:
      return { kind: 'not_found', message: 'Not found.' }
    case 405:
      return { kind: 'method_not_allowed', method: c.req.method }
    case 415:
      return {
        kind: 'unsupported_media_type',
        received: c.req.header('content-type') ?? null,
        accepts: ['json'],
      }
    default:
      return { kind: 'internal' }
  }
}

/** Hono's onError: every failure maps through `publicError`; anything unknown is a logged 500. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof GatewayError) return errorResponse(err.failure)
  const failure = err instanceof HTTPException ? failureOfHttpException(err, c) : null
  if (failure && failure.kind !== 'internal') return errorResponse(failure)
  // Only the error's name and status: never request bodies, headers or upstream answers.
  const status = err instanceof HTTPException ? err.status : undefined
  console.error(
    JSON.stringify({ event: 'unhandled_error', path: c.req.path, error: err.name, status }),
  )
  return errorResponse({ kind: 'internal' })
}
