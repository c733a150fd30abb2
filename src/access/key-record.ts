/**
 * What the gateway keeps about a managed key: its name, kind, origins, permissions and rate.
 * Its own module because the environment's types (src/env.ts, a caller's principal) and the
 * ledger that stores it (src/access/ledger.ts) both need it.
 */

export interface Permissions {
  /** Models the key may use; unset allows all. */
  models?: string[]
  max_n?: number
  /** Largest area as WxH, e.g. "1536x1024"; `auto` counts as the model's largest size. */
  max_size?: string
  max_quality?: 'low' | 'medium' | 'high'
  /** May force a fresh, paid generation with `Cache-Control: no-cache` (secret keys only). */
  regenerate?: boolean
}

export interface KeyRecord {
  id: string
  name: string
  kind: 'secret' | 'publishable'
  /** Exact origins (scheme://host[:port]) a publishable key may be used from. */
  origins: string[]
  permissions: Permissions
  /** Requests per minute; null uses the gateway's default. */
  rateLimitPerMinute: number | null
  createdAt: string
  revoked: boolean
  /**
   * `shared` (the default): results are shared with every caller that makes the same request.
   * `key`: this key's results are its own, so nobody can learn its prompts from the cache.
   */
  cacheScope?: 'shared' | 'key'
}
