/**
 * Every variable an operator can set (wrangler vars and secrets): its kind and its zod rule (unit,
 * range, default). The configuration document's table says what each means; adding one: an entry
 * here, a field of Settings, a row in that table.
 */
import { z } from 'zod'
import { MODEL_IDS, type ModelId } from './models'
import { isManagedKey } from './principal'

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

/**
 * Hosts a URL the gateway calls may be on (`*.` for subdomains): unset gives null (public hosts
 * only), `none` gives an empty list (no host at all).
 */
const hostList = listOf(
  'must be none, or host names such as images.example.com or *.example.com, comma-separated',
  (item) => item === 'none' || HOST_PATTERN.test(item),
)
  .refine((items) => !items.includes('none') || items.length === 1, {
    error: 'must be none alone, or host names',
  })
  .transform((items) => {
    if (items.length === 0) return null
    return items[0] === 'none' ? [] : items.map((item) => item.toLowerCase())
  })

const MINUTES_10 = 600_000
const HOUR_MS = 3_600_000
/** Idle time before an SSE keep-alive comment. */
const DEFAULT_KEEPALIVE_MS = 15_000

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
  /**
   * The upstream pool (a JSON array, or wrangler.toml's array): checked whole, with the secrets
   * its entries name, by the pool configuration's parser when settings are made.
   */
  UPSTREAMS: { kind: 'var', rule: z.unknown().optional() },
  /** How long a request waits in the owner for an upstream with capacity before its 429. */
  UPSTREAM_QUEUE_TIMEOUT_MS: { kind: 'var', rule: whole('milliseconds', 0, HOUR_MS, 60_000) },
  UPSTREAM_TIMEOUT_MS: { kind: 'var', rule: whole('milliseconds', 1, HOUR_MS, 300_000) },
  UPSTREAM_IDLE_TIMEOUT_MS: { kind: 'var', rule: whole('milliseconds', 1, HOUR_MS, 180_000) },
  /**
   * A whole generation, from the call to the last byte. gpt-image models take up to a few
   * minutes for the largest, highest-quality requests; twice the header deadline leaves room.
   */
  UPSTREAM_TOTAL_TIMEOUT_MS: { kind: 'var', rule: whole('milliseconds', 1, HOUR_MS, MINUTES_10) },
  /** The demo generator's pause before each streamed image, like a real generation's; 0: none. */
  DEMO_PARTIAL_INTERVAL_MS: { kind: 'var', rule: whole('milliseconds', 0, 60_000, 300) },
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
  ADMIN_TOKEN_GUESSES_PER_MINUTE: { kind: 'var', rule: whole('guesses', 1, 1_000, 10) },
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
  EDIT_IMAGE_URL_HOSTS: { kind: 'var', rule: hostList },
  /** Webhook receivers allowed besides public https hosts: private ones, over http too. */
  WEBHOOK_URL_HOSTS: { kind: 'var', rule: hostList },
  /** The request log's rows are deleted this many days after their request (a cron trigger). */
  USAGE_RETENTION_DAYS: { kind: 'var', rule: whole('days', 1, 3650, 30) },
  CORS_ORIGINS: {
    kind: 'var',
    rule: listOf('must list exact origins such as https://example.com, comma-separated', (item) =>
      isUrl(item, true),
    ),
  },
} as const satisfies Record<string, { kind: 'secret' | 'var'; rule: z.ZodType }>

type Rules = { [Name in keyof typeof VARIABLES]: (typeof VARIABLES)[Name]['rule'] }

/** The environment's variables as one schema: parsing it checks every rule. */
export const environment = z.object(
  Object.fromEntries(Object.entries(VARIABLES).map(([name, { rule }]) => [name, rule])) as Rules,
)

/** The settings variables as the environment holds them (all optional text). */
export type SettingsVariables = z.input<typeof environment>

/** The settings variables once parsed, each by its rule. */
export type ParsedVariables = z.output<typeof environment>
