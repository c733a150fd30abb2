/**
 * Azure OpenAI's error answers and stream error events as the gateway's `Failure` values, in
 * OpenAI's terms: any of Azure's content-filter shapes is the same `moderation_blocked` 400 a
 * moderated OpenAI request gets. Only what classifies is kept; the body never goes further.
 */
import type { Failure } from '../failure'
import { MAX_ERROR_BODY_BYTES, readCapped } from '../upstream/error-mapping'

/** Every code (and inner_error code) Azure uses for a content-filter rejection (research §1.4). */
const CONTENT_FILTER_CODES = new Set([
  'contentFilter',
  'content_filter',
  'content_policy_violation',
  'moderation_blocked',
  'ResponsibleAIPolicyViolation',
])
const SAFETY_MESSAGE = 'Your request was rejected by the safety system.'

interface ErrorFields {
  code: string | null
  innerCode: string | null
  param: string | null
  message: string | null
}

function fieldsOf(body: unknown): ErrorFields {
  const record = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null)
  const error = record(record(body).error)
  return {
    code: str(error.code),
    innerCode: str(record(error.inner_error).code),
    param: str(error.param),
    message: str(error.message),
  }
}

/**
 * The wait a 429 asks for: `retry-after-ms` first (Azure's), then `retry-after` in seconds or as
 * an HTTP date, as the openai SDK reads them. Null when neither is usable.
 */
export function retryAfterMs(headers: Headers, now: number): number | null {
  const ms = headers.get('retry-after-ms')
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms))
  const after = headers.get('retry-after')
  if (after === null) return null
  if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Math.ceil(Number(after) * 1000)
  const date = Date.parse(after)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}

/**
 * A moderation block as OpenAI words it. Azure's own message is kept when it names no one
 * (clients never learn which upstream served them), else OpenAI's first sentence.
 */
function contentPolicy(message: string | null): Failure {
  const plain = message && message.length <= 1000 && !/azure|microsoft/i.test(message)
  return {
    kind: 'content_policy',
    message: plain ? message : SAFETY_MESSAGE,
    code: 'moderation_blocked',
    type: 'image_generation_user_error',
  }
}

function isContentFilter(fields: ErrorFields): boolean {
  return (
    (fields.code !== null && CONTENT_FILTER_CODES.has(fields.code)) ||
    (fields.innerCode !== null && CONTENT_FILTER_CODES.has(fields.innerCode))
  )
}

/** Classifies an Azure error answer from its status, headers and parsed body (null if none). */
export function classifyAzureError(
  status: number,
  headers: Headers,
  body: unknown,
  now: number,
): Failure {
  if (status >= 500) return { kind: 'upstream_unavailable', cause: 'status' }
  const fields = fieldsOf(body)
  // 403 includes "resource temporarily blocked" (an abuse block on the account): never the
  // client's fault, and the entry must leave the pool like one whose key is rejected.
  if (status === 401 || status === 403) return { kind: 'upstream_credentials_rejected' }
  if (status === 429) {
    if (fields.code === 'insufficient_quota') return { kind: 'upstream_quota_exhausted' }
    const wait = retryAfterMs(headers, now)
    return {
      kind: 'upstream_rate_limited',
      retryAfter: wait === null ? null : String(Math.max(1, Math.ceil(wait / 1000))),
    }
  }
  if (isContentFilter(fields)) return contentPolicy(fields.message)
  // A missing deployment or route: the entry is misconfigured, another may serve.
  if (status === 404) return { kind: 'upstream_unavailable', cause: 'status' }
  if (status === 408) return { kind: 'upstream_unavailable', cause: 'timeout' }
  return { kind: 'upstream_rejected', param: fields.param, code: fields.code }
}

/** Classifies a non-2xx Azure answer. Reads at most 64 KiB of its body, then releases it. */
export async function failureFromAzure(response: Response, now: number): Promise<Failure> {
  let body: unknown = null
  if (response.status < 500) {
    try {
      body = JSON.parse(await readCapped(response, MAX_ERROR_BODY_BYTES))
    } catch {
      // Not JSON: classified by status alone.
    }
  }
  await response.body?.cancel().catch(() => {})
  return classifyAzureError(response.status, response.headers, body, now)
}

/** An `error` event in an Azure stream: a content filter is a moderation block, else a failure. */
export function failureFromAzureEvent(data: string): Failure {
  let payload: unknown = null
  try {
    payload = JSON.parse(data)
  } catch {
    // Not JSON: still a failure, with nothing to keep.
  }
  const outer = payload && typeof payload === 'object' ? payload : {}
  const fields = fieldsOf('error' in outer ? outer : { error: outer })
  if (isContentFilter(fields)) return contentPolicy(fields.message)
  return { kind: 'upstream_unavailable', cause: 'status' }
}
