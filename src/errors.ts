/**
 * The one error model. Every failure is a value of the `Failure` union; `publicError()`
 * (src/public-error.ts) is the single exhaustive switch that turns one into an OpenAI error
 * envelope, status and headers. Nothing else builds error bodies, so shapes and secrecy rules
 * live in these two files only.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { publicError } from './public-error'

/** Everything that can go wrong, as data. Upstream details that could leak are never kept. */
export type Failure =
  | { kind: 'invalid_request'; message: string; param: string | null; code: string }
  | { kind: 'invalid_json' }
  | { kind: 'unsupported_media_type'; received: string | null }
  | { kind: 'payload_too_large'; limitBytes: number }
  | { kind: 'missing_api_key' }
  | { kind: 'invalid_api_key' }
  | { kind: 'gateway_closed' }
  | { kind: 'missing_signature' }
  | { kind: 'forbidden'; message: string; code: string; param: string | null }
  | { kind: 'rate_limited'; limit: number; reset: number }
  | { kind: 'not_found'; message: string }
  | { kind: 'method_not_allowed'; method: string }
  | { kind: 'content_policy'; message: string }
  | { kind: 'upstream_rejected'; param: string | null; code: string | null }
  | { kind: 'upstream_rate_limited'; retryAfter: string | null }
  | { kind: 'upstream_quota_exhausted' }
  | { kind: 'upstream_credentials_rejected' }
  | { kind: 'upstream_unavailable'; cause: 'status' | 'network' | 'timeout' | 'malformed' }
  | { kind: 'internal' }

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

/** Builds the HTTP response for a failure. */
export function errorResponse(failure: Failure, extraHeaders: Record<string, string> = {}) {
  const { status, body, headers } = publicError(failure)
  return Response.json(body, { status, headers: { ...headers, ...extraHeaders } })
}

/** Hono's onError: known failures map through `publicError`; anything else is a logged 500. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof GatewayError) return errorResponse(err.failure)
  if (err instanceof HTTPException && err.status === 404) {
    return errorResponse({ kind: 'not_found', message: 'Not found.' })
  }
  // Only the error's name and message: never request bodies, headers or upstream answers.
  console.error(JSON.stringify({ event: 'unhandled_error', path: c.req.path, error: err.name }))
  return errorResponse({ kind: 'internal' })
}
