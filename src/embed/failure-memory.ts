/**
 * Failures of embed URLs, remembered briefly: a URL that failed answers that same error for a
 * minute without the upstream, however many visitors load the page.
 */
import type { Failure } from '../failure'
import { type ErrorEnvelope, type PublicError, publicError } from '../public-error'
import { sha256Hex } from '../stream/bytes'
import { canonicalQuery } from './signing'

/** How long a failed embed answers with its error before the upstream is tried again. */
export const FAILURE_TTL_SECONDS = 60

/** Failures of making the picture; the gateway's own refusals are decided afresh each visit. */
const REMEMBERED: ReadonlySet<Failure['kind']> = new Set<Failure['kind']>([
  'content_policy',
  'upstream_rejected',
  'upstream_rate_limited',
  'upstream_quota_exhausted',
  'upstream_credentials_rejected',
  'upstream_unavailable',
  'internal',
])

const CACHE_NAME = 'embed-failures'

/** Whether a failure is one of making the picture, worth remembering. */
const isRemembered = (failure: Failure) => REMEMBERED.has(failure.kind)

/** Whether a value is an OpenAI error envelope (read back from the cache). */
function isEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false
  const { error } = value
  return (
    typeof error === 'object' &&
    error !== null &&
    'message' in error &&
    typeof error.message === 'string' &&
    'type' in error &&
    typeof error.type === 'string'
  )
}

function isPublicError(value: unknown): value is PublicError {
  if (typeof value !== 'object' || value === null) return false
  const { status, body, headers } = value as Partial<Record<keyof PublicError, unknown>>
  return typeof status === 'number' && isEnvelope(body) && typeof headers === 'object'
}

/**
 * The remembered error of one embed URL. Kept in the Cache API (per data centre, best effort),
 * keyed by a hash of the URL's signed text, which a visitor cannot vary.
 */
export class FailureMemory {
  private constructor(readonly key: string) {}

  /** The memory of `url`: its entry is named by the SHA-256 of the URL's signed text. */
  static async of(url: URL): Promise<FailureMemory> {
    // SHA-256 in hex, as key secrets are hashed: the text itself (a prompt) stays out of the key.
    const hash = await sha256Hex(canonicalQuery(url.searchParams))
    // On the worker's own host, as Cloudflare advises for Cache API keys.
    return new FailureMemory(`${url.origin}/v1/images/embed/failures/${hash}`)
  }

  /** The error this URL answered within the last FAILURE_TTL_SECONDS, as a response, if any. */
  async recall(): Promise<Response | null> {
    try {
      const cached = await (await caches.open(CACHE_NAME)).match(this.key)
      const value: unknown = cached ? await cached.json() : null
      if (!isPublicError(value)) return null
      return Response.json(value.body, { status: value.status, headers: value.headers })
    } catch {
      return null // a cache that fails only costs the memory
    }
  }

  /** Remembers a failure of making the picture, before its answer began or ending its stream. */
  rememberFailure(failure: Failure): Promise<void> {
    return isRemembered(failure) ? this.remember(publicError(failure)) : Promise.resolve()
  }

  /** Remembers the error a failure is answered with. */
  private async remember(error: PublicError): Promise<void> {
    const entry = Response.json(error, {
      headers: { 'cache-control': `max-age=${FAILURE_TTL_SECONDS}` },
    })
    try {
      await (await caches.open(CACHE_NAME)).put(this.key, entry)
    } catch {
      // Best effort, like the Cache API itself.
    }
  }
}
