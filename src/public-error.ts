/**
 * The single exhaustive switch from a `Failure` to what the client sees: status, OpenAI error
 * envelope and headers (`x-should-retry`, `retry-after`, rate-limit headers). A new failure kind
 * fails to compile until it is mapped here.
 */
import type { BodyForm, Failure } from './failure'

/** The OpenAI error envelope, exactly as the openai SDK parses it. */
export interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string | null }
}

export interface PublicError {
  status: 400 | 401 | 403 | 404 | 405 | 408 | 413 | 415 | 429 | 500
  body: ErrorEnvelope
  headers: Record<string, string>
}

/** How a 415 tells each body form a route reads. */
const BODY_FORMS: Record<BodyForm, string> = {
  multipart: 'as multipart/form-data (files and text fields)',
  json: "as JSON with 'Content-Type: application/json'",
}

const NO_RETRY = { 'x-should-retry': 'false' }
const RETRY = { 'x-should-retry': 'true' }

function envelope(
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
): ErrorEnvelope {
  return { error: { message, type, param, code } }
}

/** Maps a failure to what the client sees. Exhaustive: a new kind fails to compile until mapped. */
export function publicError(failure: Failure): PublicError {
  switch (failure.kind) {
    case 'invalid_request':
      return {
        status: 400,
        body: envelope(failure.message, 'invalid_request_error', failure.code, failure.param),
        headers: NO_RETRY,
      }
    case 'invalid_json':
      return {
        status: 400,
        body: envelope(
          'We could not parse the JSON body of your request. Send a JSON object, for example {"prompt": "a red fox"}.',
          'invalid_request_error',
          'invalid_json',
        ),
        headers: NO_RETRY,
      }
    case 'unsupported_media_type':
      return {
        status: 415,
        body: envelope(
          `Unsupported Content-Type ${failure.received ? `'${failure.received}'` : '(none)'}: send the body ${failure.accepts.map((form) => BODY_FORMS[form]).join(' or ')}.`,
          'invalid_request_error',
          'unsupported_media_type',
        ),
        headers: NO_RETRY,
      }
    case 'payload_too_large':
      return {
        status: 413,
        body: envelope(
          `The request body is larger than ${failure.limitBytes} bytes. Prompts may be at most 32000 characters.`,
          'invalid_request_error',
          'payload_too_large',
        ),
        headers: NO_RETRY,
      }
    case 'request_timeout':
      // Not worth retrying as is: the same body over the same connection would take as long.
      return {
        status: 408,
        body: envelope(
          `The request body took longer than ${failure.timeoutMs / 1000} s to arrive: this gateway stops reading a body after that. Send it faster, or smaller.`,
          'invalid_request_error',
          'request_timeout',
        ),
        headers: NO_RETRY,
      }
    case 'missing_api_key':
      return {
        status: 401,
        body: envelope(
          "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'.",
          'invalid_request_error',
          'missing_api_key',
        ),
        headers: NO_RETRY,
      }
    case 'invalid_api_key':
      return {
        status: 401,
        body: envelope(
          'Incorrect API key provided. Ask the operator of this gateway for a valid key.',
          'invalid_request_error',
          'invalid_api_key',
        ),
        headers: NO_RETRY,
      }
    case 'gateway_closed':
      return {
        status: 401,
        body: envelope(
          'This gateway accepts no client keys yet. Its operator must set GATEWAY_KEYS, or PUBLIC_ACCESS=true to allow anonymous use.',
          'invalid_request_error',
          'invalid_api_key',
        ),
        headers: NO_RETRY,
      }
    case 'missing_signature':
      return {
        status: 401,
        body: envelope(
          'This embed URL is not signed. Make signed URLs with `npm run sign` or POST /v1/images/embed/sign.',
          'invalid_request_error',
          'missing_signature',
        ),
        headers: NO_RETRY,
      }
    case 'forbidden':
      return {
        status: 403,
        body: envelope(failure.message, 'permission_error', failure.code, failure.param),
        headers: NO_RETRY,
      }
    case 'rate_limited':
      return {
        status: 429,
        body: envelope(rateLimitMessage(failure), 'requests', 'rate_limit_exceeded'),
        headers: {
          ...RETRY,
          'retry-after': String(failure.reset),
          'x-ratelimit-limit': String(failure.limit),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(failure.reset),
        },
      }
    case 'not_found':
      return {
        status: 404,
        body: envelope(failure.message, 'invalid_request_error', 'not_found'),
        headers: NO_RETRY,
      }
    case 'method_not_allowed':
      return {
        status: 405,
        body: envelope(
          `Method ${failure.method} is not allowed here.`,
          'invalid_request_error',
          'method_not_allowed',
        ),
        headers: NO_RETRY,
      }
    case 'content_policy':
      return {
        status: 400,
        body: envelope(failure.message, failure.type, failure.code),
        headers: NO_RETRY,
      }
    case 'upstream_rejected':
      return {
        status: 400,
        body: envelope(
          `The image service rejected the request${failure.param ? ` (parameter '${failure.param}')` : ''}. Check the parameters against the documentation.`,
          'invalid_request_error',
          failure.code,
          failure.param,
        ),
        headers: NO_RETRY,
      }
    case 'upstream_rate_limited':
      return {
        status: 429,
        body: envelope(
          'The image service is rate limited right now. Retry after the time given in Retry-After.',
          'requests',
          'rate_limit_exceeded',
        ),
        headers: failure.retryAfter ? { ...RETRY, 'retry-after': failure.retryAfter } : RETRY,
      }
    case 'upstream_quota_exhausted':
      return {
        status: 500,
        body: envelope(
          "The gateway's image service account has run out of quota. Tell the operator of this gateway.",
          'server_error',
          'upstream_quota_exhausted',
        ),
        headers: NO_RETRY,
      }
    case 'upstream_credentials_rejected':
      return {
        status: 500,
        body: envelope(
          "Upstream credentials rejected: the gateway's own key for the image service is missing or invalid. Tell the operator of this gateway.",
          'server_error',
          'upstream_credentials_rejected',
        ),
        headers: NO_RETRY,
      }
    case 'upstream_unavailable':
      return {
        status: 500,
        body: envelope(UNAVAILABLE_MESSAGES[failure.cause], 'server_error', 'upstream_unavailable'),
        headers: RETRY,
      }
    case 'misconfigured':
      return {
        status: 500,
        body: envelope(
          `The gateway is misconfigured: ${failure.variable} ${failure.rule}. Tell the operator of this gateway.`,
          'server_error',
          'gateway_misconfigured',
        ),
        headers: NO_RETRY,
      }
    case 'internal':
      return {
        status: 500,
        body: envelope(
          'The gateway had an internal error. Retry; if it persists, tell the operator.',
          'server_error',
          'internal_error',
        ),
        headers: RETRY,
      }
  }
}

const UNAVAILABLE_MESSAGES = {
  status: 'The image service failed to answer (it returned a server error). Retry in a moment.',
  network: 'The gateway could not reach the image service. Retry in a moment.',
  timeout:
    'The image service took too long to answer. Retry, perhaps with a smaller size or lower quality.',
  malformed: 'The image service sent an answer the gateway could not read. Retry in a moment.',
  interrupted: 'The image service stopped mid-answer. Retry in a moment.',
} as const

/** What a full window says, by whose window it is. */
function rateLimitMessage({ limit, reset, scope }: Extract<Failure, { kind: 'rate_limited' }>) {
  switch (scope) {
    case 'client':
      return `Rate limit reached for this client: ${limit} requests per minute with this key. Retry in ${reset} s.`
    case 'admin_token':
      return `Too many wrong admin tokens from this client: ${limit} per minute. Retry in ${reset} s.`
    case undefined:
      return `Rate limit reached: ${limit} requests per minute. Retry in ${reset} s.`
  }
}
