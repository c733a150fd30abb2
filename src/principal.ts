/**
 * Who calls (the Principal), and what the gateway keeps about a managed key. On the ground floor:
 * the environment's types, the settings and the ledger that stores a key all need it.
 */

export const KEY_PREFIXES = { secret: 'sk-gw-', publishable: 'pk-gw-' } as const

/** Whether a token is a managed key's (looked up in its ledger, never in GATEWAY_KEYS). */
export function isManagedKey(token: string): boolean {
  return token.startsWith(KEY_PREFIXES.secret) || token.startsWith(KEY_PREFIXES.publishable)
}

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
  /**
   * A publishable key's requests per minute from each client (an IPv4 address, an IPv6 /64);
   * null or unset (a key made before there was one) uses the gateway's default.
   */
  clientRateLimitPerMinute?: number | null
  createdAt: string
  revoked: boolean
  /**
   * `shared` (the default): results are shared with every caller that makes the same request.
   * `key`: this key's results are its own, so nobody can learn its prompts from the cache.
   */
  cacheScope?: 'shared' | 'key'
  /** Where this key's batches and jobs announce their end unless they name their own URL. */
  webhookUrl?: string | null
  /** The `whsec_` secret that signs this key's webhooks (shown once, at creation). */
  webhookSecret?: string | null
}

/** Who is calling. */
export type Principal =
  /** The operator, by a GATEWAY_KEYS key (its index, never its value): no balance, no limit. */
  | { kind: 'operator'; keyIndex: number }
  /** A managed key; `ledger` names its AccessLedger. */
  | { kind: 'managed'; id: string; ledger: string; record: KeyRecord }
  /** An embed URL signed with EMBED_SIGNING_SECRET: the operator's own spending, like a bootstrap key. */
  | { kind: 'signed' }
  | { kind: 'anonymous'; ip: string }
