/**
 * The environment, parsed once into a typed, frozen `Settings` (cached per env object). A value
 * that breaks its rule answers every request with a 500 naming the variable and the rule (logged
 * once), never a silent default.
 */
import { createMiddleware } from 'hono/factory'
import { GatewayError } from './errors'
import type { Failure } from './failure'
import type { ModelId } from './models'
import type { PoolEntry } from './pool-config/entry'
import { parsePool, poolDeclared } from './pool-config/parse'
import { environment, type ParsedVariables } from './variables'

/** Which upstream answers, and its deadlines, as plain data (it crosses to the generation's owner). */
export interface UpstreamSettings {
  kind: 'remote' | 'demo'
  /** Base URL without a trailing slash, e.g. https://api.openai.com/v1 */
  baseUrl: string
  apiKey: string | null
  /** How long to wait for response headers (for a non-stream request: the whole generation). */
  timeoutMs: number
  /** How long a response body may go without a complete event before it counts as stalled. */
  idleTimeoutMs: number
  /** How long the whole generation may take, headers and body. */
  totalTimeoutMs: number
  /** The demo generator's pause before each streamed image (a remote upstream has its own). */
  demoPartialIntervalMs: number
  /**
   * The upstreams: UPSTREAMS' entries, or the legacy upstream as a pool of one named `default`;
   * empty for the demo. Keys included: this crosses only to the generation's owner.
   */
  entries: readonly PoolEntry[]
  /** True when UPSTREAMS is set: calls go through the UpstreamPool (capacity, failover). */
  pooled: boolean
  /** How long a request waits for an upstream with capacity before its 429. */
  queueTimeoutMs: number
}

/** Everything the gateway reads from its environment besides bindings, parsed and checked. */
export interface Settings {
  /** Which upstream answers, and its deadlines. */
  readonly upstream: Readonly<UpstreamSettings>
  /** True when no upstream is configured and the built-in demo generator serves. */
  readonly demo: boolean
  /** GATEWAY_KEYS: the operator's bootstrap client keys. */
  readonly gatewayKeys: readonly string[]
  readonly adminToken: string | null
  readonly embedSigningSecret: string | null
  readonly publicAccess: boolean
  /** The models this deployment offers, or null for every model. */
  readonly allowedModels: readonly ModelId[] | null
  /** How long a stored result answers repeats; null keeps it forever. */
  readonly cacheTtlSeconds: number | null
  /** Keep edits' input pictures in R2 (`inputs/`) instead of deleting them once used. */
  readonly keepEditInputs: boolean
  /**
   * The hosts an edit's https image_url may be on (`*.example.com` for its subdomains); null for
   * any host, empty for none (pictures as uploads and data: URLs only).
   */
  readonly editImageUrlHosts: readonly string[] | null
  /**
   * WEBHOOK_URL_HOSTS: receivers allowed even when private, over http too; null for public https
   * hosts only, empty for none.
   */
  readonly webhookUrlHosts: readonly string[] | null
  /** How long reading a request body may take before it is refused with a 408. */
  readonly requestBodyTimeoutMs: number
  readonly sseKeepAliveMs: number
  readonly rateLimitPerMinute: number
  readonly anonymousRateLimitPerMinute: number
  /** Signed embed visits per minute per client (an IPv4 address, an IPv6 /64). */
  readonly embedRateLimitPerMinute: number
  /** A publishable key's requests per minute per client, unless the key sets its own. */
  readonly publishableClientRateLimitPerMinute: number
  /** Wrong ADMIN_TOKENs per minute per client before its admin calls are refused with a 429. */
  readonly adminTokenGuessesPerMinute: number
  readonly dailyBudgetUsd: number
  readonly corsOrigins: readonly string[]
  /** Days the request log keeps a request (image view counts too); admin actions stay. */
  readonly usageRetentionDays: number
}

/** The upstream used when a key is set without a base URL. */
const OPENAI_BASE_URL = 'https://api.openai.com/v1'
/** What a pool's `baseUrl` says: never an entry's (no call uses it). */
const POOL_BASE_URL = 'https://pool.invalid/v1'

type Pool = Exclude<ReturnType<typeof parsePool>, { kind: 'misconfigured' }>

function toSettings(vars: ParsedVariables, pool: Pool): Settings {
  const demo = pool.kind === 'demo'
  const pooled = !demo && poolDeclared(vars.UPSTREAMS)
  const deadlines = {
    timeoutMs: vars.UPSTREAM_TIMEOUT_MS,
    idleTimeoutMs: vars.UPSTREAM_IDLE_TIMEOUT_MS,
    totalTimeoutMs: vars.UPSTREAM_TOTAL_TIMEOUT_MS,
    demoPartialIntervalMs: vars.DEMO_PARTIAL_INTERVAL_MS,
    queueTimeoutMs: vars.UPSTREAM_QUEUE_TIMEOUT_MS,
    entries: pool.kind === 'remote' ? pool.entries : [],
    pooled,
  }
  const upstream: UpstreamSettings = demo
    ? { kind: 'demo', baseUrl: 'https://demo.invalid/v1', apiKey: null, ...deadlines }
    : {
        kind: 'remote',
        // A pool's calls are built per entry; these two serve the legacy upstream alone.
        baseUrl: pooled ? POOL_BASE_URL : (vars.UPSTREAM_BASE_URL ?? OPENAI_BASE_URL),
        apiKey: pooled ? null : vars.UPSTREAM_API_KEY,
        ...deadlines,
      }
  return deepFreeze({
    upstream,
    demo,
    gatewayKeys: vars.GATEWAY_KEYS,
    adminToken: vars.ADMIN_TOKEN,
    embedSigningSecret: vars.EMBED_SIGNING_SECRET,
    publicAccess: vars.PUBLIC_ACCESS,
    allowedModels: vars.ALLOWED_MODELS,
    cacheTtlSeconds: vars.CACHE_TTL_SECONDS,
    keepEditInputs: vars.KEEP_EDIT_INPUTS,
    editImageUrlHosts: vars.EDIT_IMAGE_URL_HOSTS,
    webhookUrlHosts: vars.WEBHOOK_URL_HOSTS,
    requestBodyTimeoutMs: vars.REQUEST_BODY_TIMEOUT_MS,
    sseKeepAliveMs: vars.SSE_KEEPALIVE_MS,
    rateLimitPerMinute: vars.RATE_LIMIT_PER_MINUTE,
    anonymousRateLimitPerMinute: vars.ANONYMOUS_RATE_LIMIT_PER_MINUTE,
    embedRateLimitPerMinute: vars.EMBED_RATE_LIMIT_PER_MINUTE,
    publishableClientRateLimitPerMinute: vars.PUBLISHABLE_CLIENT_RATE_LIMIT_PER_MINUTE,
    adminTokenGuessesPerMinute: vars.ADMIN_TOKEN_GUESSES_PER_MINUTE,
    dailyBudgetUsd: vars.DAILY_BUDGET_USD,
    corsOrigins: vars.CORS_ORIGINS,
    usageRetentionDays: vars.USAGE_RETENTION_DAYS,
  })
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value))
    if (inner && typeof inner === 'object') deepFreeze(inner)
  return Object.freeze(value)
}

/** Parses an environment: its Settings, or the failure naming the first bad variable. */
export function parseSettings(env: object): Settings | Failure {
  const parsed = environment.safeParse(env)
  if (parsed.success) {
    // UPSTREAMS names the secrets holding its keys, so it reads the whole environment.
    const pool = parsePool(env as Record<string, unknown>)
    return pool.kind === 'misconfigured' ? pool : toSettings(parsed.data, pool)
  }
  const [issue] = parsed.error.issues
  return {
    kind: 'misconfigured',
    variable: String(issue?.path[0] ?? 'the environment'),
    rule: issue?.message ?? 'is invalid',
  }
}

const parsedEnvs = new WeakMap<object, Settings | Failure>()
let announcedDemo = false

/**
 * The Settings of an env object, parsed on first use. A misconfigured environment throws its
 * failure on every call, and is logged once (the variable and the rule, never the value).
 */
export function settingsOf(env: object): Settings {
  let parsed = parsedEnvs.get(env)
  if (!parsed) {
    parsed = parseSettings(env)
    parsedEnvs.set(env, parsed)
    if ('kind' in parsed) console.error(JSON.stringify({ event: 'misconfigured', ...parsed }))
    else if (parsed.demo && !announcedDemo) {
      announcedDemo = true
      console.log(
        'No upstream configured (UPSTREAM_BASE_URL / UPSTREAM_API_KEY): the demo generator is serving.',
      )
    }
  }
  if ('kind' in parsed) throw new GatewayError(parsed)
  return parsed
}

/** Middleware: `c.var.settings` for every handler, or the misconfiguration's 500. */
export const loadSettings = createMiddleware<{
  Bindings: object
  Variables: { settings: Settings }
}>(async (c, next) => {
  c.set('settings', settingsOf(c.env))
  await next()
})
