/**
 * Reads a failed upstream answer into a `Failure`. Only the fields needed to classify it are
 * kept (status, code, param, and the message of a content-policy block, which the client needs);
 * the rest of the upstream body is dropped so it can never reach a client or a log.
 */
import type { Failure } from '../failure'

/** Upstream error codes that mean the prompt or image was blocked by moderation. */
const CONTENT_POLICY_CODES = new Set(['moderation_blocked', 'content_policy_violation'])
/** How much of an error body we read at most; error bodies are small, anything larger is odd. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024

interface UpstreamErrorFields {
  code: string | null
  param: string | null
  message: string | null
  type: string | null
}

/**
 * A moderation block as the client sees it: the upstream's own message, code and type (so code
 * written against OpenAI matches `moderation_blocked`), with a type only if it looks like one.
 */
function contentPolicy(fields: UpstreamErrorFields, code: string): Failure {
  return {
    kind: 'content_policy',
    message:
      fields.message ?? 'The request was blocked by the content policy. Rephrase the prompt.',
    code,
    type: fields.type && /^[a-z_]{1,64}$/.test(fields.type) ? fields.type : 'invalid_request_error',
  }
}

async function readErrorFields(response: Response): Promise<UpstreamErrorFields> {
  const empty = { code: null, param: null, message: null, type: null }
  try {
    const text = await readCapped(response, MAX_ERROR_BODY_BYTES)
    const parsed: unknown = JSON.parse(text)
    const error = (parsed as { error?: Record<string, unknown> } | null)?.error
    if (!error || typeof error !== 'object') return empty
    const str = (v: unknown) => (typeof v === 'string' ? v : null)
    return {
      code: str(error.code),
      param: str(error.param),
      message: str(error.message),
      type: str(error.type),
    }
  } catch {
    return empty
  }
}

/** An error answer's first `limit` bytes as text; the rest of its body is cancelled. */
export async function readCapped(response: Response, limit: number): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  while (size < limit) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value.subarray(0, limit - size), { stream: true })
    size += value.byteLength
  }
  await reader.cancel().catch(() => {})
  return text + decoder.decode()
}

/** Classifies a non-2xx upstream response. Consumes (and releases) its body. */
export async function failureFromUpstream(response: Response): Promise<Failure> {
  const status = response.status
  if (status >= 500) {
    await response.body?.cancel().catch(() => {})
    return { kind: 'upstream_unavailable', cause: 'status' }
  }
  const fields = await readErrorFields(response)
  if (status === 401 || status === 403) return { kind: 'upstream_credentials_rejected' }
  if (status === 429) {
    if (fields.code === 'insufficient_quota') return { kind: 'upstream_quota_exhausted' }
    return { kind: 'upstream_rate_limited', retryAfter: response.headers.get('retry-after') }
  }
  if (fields.code && CONTENT_POLICY_CODES.has(fields.code))
    return contentPolicy(fields, fields.code)
  return { kind: 'upstream_rejected', param: fields.param, code: fields.code }
}

/** An `error` (or `*.failed`) event in an upstream stream, classified like an error answer. */
export function failureFromEvent(data: string): Failure {
  let payload: unknown = null
  try {
    payload = JSON.parse(data)
  } catch {
    // Not JSON: still a failure, with nothing to keep.
  }
  const outer = payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : {}
  const error = (outer.error && typeof outer.error === 'object' ? outer.error : outer) as Record<
    string,
    unknown
  >
  const str = (v: unknown) => (typeof v === 'string' ? v : null)
  const code = str(error.code)
  if (code && CONTENT_POLICY_CODES.has(code)) {
    return contentPolicy(
      { code, param: null, message: str(error.message), type: str(error.type) },
      code,
    )
  }
  return { kind: 'upstream_unavailable', cause: 'status' }
}
