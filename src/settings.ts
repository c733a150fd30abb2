/**
 * The environment, parsed once. Every setting an operator can give (wrangler vars and secrets) is
 * one entry of VARIABLES: its kind and its zod rule (unit, range, default); README's table says
 * what each means. The result is a typed, frozen `Settings`, cached per env object. A value that
 * breaks its rule answers every request with a 500 naming the variable and the rule (logged
 * once), never a silent default. Adding a setting: an entry here, its field, a row in README.
 */
import { createMiddleware } from 'hono/factory'
import { z } from 'zod'
import { isManagedKey } from './access/key-record'
import { DEFAULT_KEEPALIVE_MS } from './answer/sse'
import { GatewayError } from './errors'
import type { Failure } from './failure'
import { MODEL_IDS, type ModelId } from './models'
import type { UpstreamSettings } from './upstream/target'

/**
 * A variable's text. Wrangler passes vars as strings (or numbers and booleans when wrangler.toml
 * writes them so); a blank value counts as unset, as `wrangler dev --var NAME:` gives.
 */
const text = z
  .union([z.string(), z.number(), z.boolean()])
  .optional()
  .transform((value) => (value === undefined ? '' : String(value).trim()) || undefined)

/** A whole number from `min` to `max` of `unit`; unset gives `fallback`. */
function whole<T extends number | null>(unit: string, min: number, max: number, fallback: T) {
  return text
    .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max), {
      error: `must be a whole number of ${unit} from ${min} to ${max}`,
    })
    .transform((v) => (v === undefined ? fallback : Number(v)))
}

/** A comma-separated list, blanks ignored. */
const list = text.transform((v) =>
  (v ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
)

/** A list whose every item passes `valid`. */
const listOf = (rule: string, valid: (item: string) => boolean) =>
  list.refine((items) => items.every(valid), { error: rule })

const secret = text.transform((v) => v ?? null)

/** `true` or `false`; unset is false. */
const flag = text
  .refine((v) => v === undefined || v === 'true' || v === 'false', {
    error: 'must be true or false',
  })
  .transform((v) => v === 'true')

function isUrl(value: string, exactOrigin: boolean): boolean {
  try {
    const url = new URL(value)
    return /^https?:$/.test(url.protocol) && (!exactOrigin || url.origin === value)
  } catch {
    return false
  }
}

/** A host name, or `*.` and one: letters, digits and hyphens between dots. */
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i

const MINUTES_10 = 600_000
const HOUR_MS = 3_600_000

/** Every variable the gateway reads: its kind (how to set it) and its rule. */
export const VARIABLES = {
  UPSTREAM_API_KEY: { kind: 'secret', rule: secret },
  UPSTREAM_BASE_URL: {
    kind: 'var',
    rule: text
      .refine((v) => v === undefined || isUrl(v, false), {
        error: 'must be an http or https URL, such as https://api.openai.com/v1',
      })
      .transform((v) => v?.replace(/\/+$/, '') ?? null),
  },
  UPSTREAM_TIMEOUT_MS: { kind: 'var', rule: whole('milliseconds', 1, HOUR_MS, 300_000) },
  UPSTREAM_IDLE_TIMEOUT_MS: { kind: 'var', rule: whole('milliseconds', 1, HOUR_MS, 180_000) },
  /**
   * A whole generation, from the call to the last byte. gpt-image models take up to a few
   * minutes for the largest, highest-quality requests; twice the header deadline leaves room.
   */
  UPSTREAM_TOTAL_TIMEOUT_MS: { kind: 'var', rule: whole('milliseconds', 1, HOUR_MS, MINUTES_10) },
  /** Managed keys' prefixes are looked up in their ledger, so such an entry never authenticates. */
  GATEWAY_KEYS: {
    kind: 'secret',
    rule: listOf(
      'must not hold keys starting with sk-gw- or pk-gw- (managed keys, made by the admin API); choose other bootstrap keys',
      (item) => !isManagedKey(item),
    ),
  },
  ADMIN_TOKEN: { kind: 'secret', rule: secret },
  EMBED_SIGNING_SECRET: { kind: 'secret', rule: secret },
  PUBLIC_ACCESS: { kind: 'var', rule: flag },
  ALLOWED_MODELS: {
    kind: 'var',
    rule: listOf(`must list only models this gateway knows (${MODEL_IDS.join(', ')})`, (item) =>
      (MODEL_IDS as readonly string[]).includes(item),
    ).transform((items) => (items.length > 0 ? (items as ModelId[]) : null)),
  },
  CACHE_TTL_SECONDS: {
    kind: 'var',
    rule: whole('seconds', 0, 10 * 365 * 86_400, null).transform((v) => v || null),
  },
  SSE_KEEPALIVE_MS: {
    kind: 'var',
    rule: whole('milliseconds', 1, MINUTES_10, DEFAULT_KEEPALIVE_MS),
  },
  RATE_LIMIT_PER_MINUTE: { kind: 'var', rule: whole('requests', 1, 1_000_000, 60) },
  ANONYMOUS_RATE_LIMIT_PER_MINUTE: { kind: 'var', rule: whole('requests', 1, 1_000_000, 10) },
  EMBED_RATE_LIMIT_PER_MINUTE: { kind: 'var', rule: whole('requests', 1, 1_000_000, 120) },
  PUBLISHABLE_CLIENT_RATE_LIMIT_PER_MINUTE: {
    kind: 'var',
    rule: whole('requests', 1, 1_000_000, 30),
  },
  DAILY_BUDGET_USD: {
    kind: 'var',
    rule: text
      .refine((v) => v === undefined || (/^\d+(\.\d+)?$/.test(v) && Number(v) <= 1_000_000), {
        error: 'must be an amount of US dollars from 0 to 1000000, such as 2.50',
      })
      .transform((v) => (v === undefined ? 1 : Number(v))),
  },
  /** Reading one request body, first byte to last: a body trickled in is cut off (408). */
  REQUEST_BODY_TIMEOUT_MS: { kind: 'var', rule: whole('milliseconds', 1, HOUR_MS, 60_000) },
  KEEP_EDIT_INPUTS: { kind: 'var', rule: flag },
  EDIT_IMAGE_URL_HOSTS: {
    kind: 'var',
    rule: listOf(
      'must be none, or host names such as images.example.com or *.example.com, comma-separated',
      (item) => item === 'none' || HOST_PATTERN.test(item),
    )
      .refine((items) => !items.includes('none') || items.length === 1, {
        error: 'must be none alone, or host names',
      })
      .transform((items) => {
        if (items.length === 0) return null
        return items[0] === 'none' ? [] : items.map((item) => item.toLowerCase())
      }),
  },
  CORS_ORIGINS: {
    kind: 'var',
    rule: listOf('must list exact origins such as https://example.com, comma-separated', (item) =>
      isUrl(item, true),
    ),
  },
} as const satisfies Record<string, { kind: 'secret' | 'var'; rule: z.ZodType }>

type Rules = { [Name in keyof typeof VARIABLES]: (typeof VARIABLES)[Name]['rule'] }

const environment = z.object(
  Object.fromEntries(Object.entries(VARIABLES).map(([name, { rule }]) => [name, rule])) as Rules,
)

/** The settings variables as the environment holds them (all optional text). */
export type SettingsVariables = z.input<typeof environment>

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
  /** How long reading a request body may take before it is refused with a 408. */
  readonly requestBodyTimeoutMs: number
  readonly sseKeepAliveMs: number
  readonly rateLimitPerMinute: number
  readonly anonymousRateLimitPerMinute: number
  /** Signed embed visits per minute per client (an IPv4 address, an IPv6 /64). */
  readonly embedRateLimitPerMinute: number
  /** A publishable key's requests per minute per client, unless the key sets its own. */
  readonly publishableClientRateLimitPerMinute: number
  readonly dailyBudgetUsd: number
  readonly corsOrigins: readonly string[]
}

/** The upstream used when a key is set without a base URL. */
const OPENAI_BASE_URL = 'https://api.openai.com/v1'

function toSettings(vars: z.output<typeof environment>): Settings {
  const demo = vars.UPSTREAM_BASE_URL === null && vars.UPSTREAM_API_KEY === null
  const deadlines = {
    timeoutMs: vars.UPSTREAM_TIMEOUT_MS,
    idleTimeoutMs: vars.UPSTREAM_IDLE_TIMEOUT_MS,
    totalTimeoutMs: vars.UPSTREAM_TOTAL_TIMEOUT_MS,
  }
  const upstream: UpstreamSettings = demo
    ? { kind: 'demo', baseUrl: 'https://demo.invalid/v1', apiKey: null, ...deadlines }
    : {
        kind: 'remote',
        baseUrl: vars.UPSTREAM_BASE_URL ?? OPENAI_BASE_URL,
        apiKey: vars.UPSTREAM_API_KEY,
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
    requestBodyTimeoutMs: vars.REQUEST_BODY_TIMEOUT_MS,
    sseKeepAliveMs: vars.SSE_KEEPALIVE_MS,
    rateLimitPerMinute: vars.RATE_LIMIT_PER_MINUTE,
    anonymousRateLimitPerMinute: vars.ANONYMOUS_RATE_LIMIT_PER_MINUTE,
    embedRateLimitPerMinute: vars.EMBED_RATE_LIMIT_PER_MINUTE,
    publishableClientRateLimitPerMinute: vars.PUBLISHABLE_CLIENT_RATE_LIMIT_PER_MINUTE,
    dailyBudgetUsd: vars.DAILY_BUDGET_USD,
    corsOrigins: vars.CORS_ORIGINS,
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
  if (parsed.success) return toSettings(parsed.data)
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
