/**
 * Everything that can go wrong, as data: the `Failure` union. Its own module, so the code that
 * throws failures and the one mapping to public errors depend on it, not on each other.
 */

/** A form of request body a route reads. */
export type BodyForm = 'json' | 'multipart'

/** Everything that can go wrong, as data. Upstream details that could leak are never kept. */
export type Failure =
  | { kind: 'invalid_request'; message: string; param: string | null; code: string }
  | { kind: 'invalid_json' }
  /** A body of a type the route does not read; `accepts`: the forms it reads. */
  | { kind: 'unsupported_media_type'; received: string | null; accepts: readonly BodyForm[] }
  | { kind: 'payload_too_large'; limitBytes: number }
  /** The request body took longer than REQUEST_BODY_TIMEOUT_MS to arrive. */
  | { kind: 'request_timeout'; timeoutMs: number }
  | { kind: 'missing_api_key' }
  | { kind: 'invalid_api_key' }
  | { kind: 'gateway_closed' }
  | { kind: 'missing_signature' }
  | { kind: 'forbidden'; message: string; code: string; param: string | null }
  /**
   * `scope: 'client'`: one client's own window within a publishable key's; `'admin_token'`: a
   * client's window of wrong ADMIN_TOKENs.
   */
  | { kind: 'rate_limited'; limit: number; reset: number; scope?: 'client' | 'admin_token' }
  | { kind: 'not_found'; message: string }
  | { kind: 'method_not_allowed'; method: string }
  /** The upstream's moderation blocked it: its message, code and type are the client's to see. */
  | { kind: 'content_policy'; message: string; code: string; type: string }
  | { kind: 'upstream_rejected'; param: string | null; code: string | null }
  | { kind: 'upstream_rate_limited'; retryAfter: string | null }
  | { kind: 'upstream_quota_exhausted' }
  | { kind: 'upstream_credentials_rejected' }
  /** `interrupted`: the answer had begun and the connection broke off. */
  | {
      kind: 'upstream_unavailable'
      cause: 'status' | 'network' | 'timeout' | 'malformed' | 'interrupted'
    }
  /** A setting in the environment breaks its rule: names the variable, never its value. */
  | { kind: 'misconfigured'; variable: string; rule: string }
  | { kind: 'internal' }
