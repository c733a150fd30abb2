/**
 * UPSTREAMS, the pool's configuration, parsed once with zod: a JSON array (a string, or the array
 * a wrangler.toml `[vars]` table gives), each entry checked, each key's secret present. Without
 * it, UPSTREAM_BASE_URL / UPSTREAM_API_KEY are a pool of one; without either, the demo.
 */
import { z } from 'zod'
import { MODEL_IDS, type ModelId } from '../models'
import { MAX_UPSTREAMS, type Pool, type PoolEntry, type PoolProblem } from './entry'
import { problemOf } from './problem'

/** The legacy upstream's name in the pool (logs and the admin view). */
export const LEGACY_NAME = 'default'
/** Where a legacy key without a base URL goes, as today. */
const OPENAI_BASE_URL = 'https://api.openai.com/v1'
/** The first api-version with gpt-image (MS docs: "GPT-image-1 support" in 2025-04-01-preview). */
const FIRST_IMAGE_API_VERSION = '2025-04-01'

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/

/** https (http for a loopback host, for local development); no credentials, query or fragment. */
function baseUrlProblem(value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'must be an https URL'
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname)))
    return 'must be an https URL (http only for localhost)'
  if (url.username || url.password) return 'must not hold credentials: name the key in "key"'
  if (url.search || url.hash) return 'must not have a query or fragment'
  return null
}

const baseUrl = z
  .string()
  .superRefine((value, ctx) => {
    const problem = baseUrlProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .transform((value) => value.replace(/\/+$/, ''))

const modelId = z.enum(MODEL_IDS, {
  error: `must be a model this gateway knows (${MODEL_IDS.join(', ')})`,
})

function wholeNumber(what: string, max: number) {
  const error = `must be ${what}`
  return z.int({ error }).min(1, { error }).max(max, { error })
}

const common = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    error: 'must be 1 to 63 letters, digits, dots, dashes or underscores',
  }),
  key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, {
    error: 'must be the name of the secret holding the key, such as AZURE_EAST_KEY',
  }),
  weight: wholeNumber('a whole number from 1 to 1000', 1000).optional().default(1),
  images_per_minute: wholeNumber('a whole number of images from 1 to 100000', 100_000).optional(),
}

const openaiEntry = z.strictObject({
  ...common,
  kind: z.literal('openai'),
  base_url: baseUrl,
  models: z
    .array(modelId)
    .min(1, { error: 'must list at least one model (leave it out for every model)' })
    .refine((models) => new Set(models).size === models.length, {
      error: 'must not list a model twice',
    })
    .optional(),
})

const azureEntry = z.strictObject({
  ...common,
  kind: z.literal('azure'),
  base_url: baseUrl.refine((url) => !/\/openai(\/|$)/i.test(new URL(url).pathname), {
    error:
      'must be the resource endpoint, such as https://res.openai.azure.com (the gateway adds /openai/…)',
  }),
  api_version: z.string().refine(isImageApiVersion, {
    error: `must be v1 (the v1 route) or an api-version of ${FIRST_IMAGE_API_VERSION}-preview or later`,
  }),
  deployments: z
    .partialRecord(
      modelId,
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
        error: 'must be a deployment name: 1 to 64 letters, digits, dots, dashes or underscores',
      }),
    )
    .refine((map) => Object.keys(map).length > 0, {
      error: 'must map at least one model to its deployment',
    }),
})

function isImageApiVersion(version: string): boolean {
  if (version === 'v1') return true
  const dated = /^(\d{4}-\d{2}-\d{2})(-preview)?$/.exec(version)
  return dated !== null && (dated[1] as string) >= FIRST_IMAGE_API_VERSION
}

const entry = z.discriminatedUnion('kind', [openaiEntry, azureEntry], {
  error: 'must be "openai" or "azure"',
})

const entries = z
  .array(entry, { error: 'must be a JSON array of upstream entries' })
  .min(1, { error: 'must list at least one upstream' })
  .max(MAX_UPSTREAMS, { error: `must list at most ${MAX_UPSTREAMS} upstreams` })
  .superRefine((list, ctx) => {
    const seen = new Set<string>()
    for (const [index, { name }] of list.entries()) {
      if (seen.has(name.toLowerCase()))
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: 'must be unique' })
      seen.add(name.toLowerCase())
    }
  })

type EntryInput = z.output<typeof entry>

/** A variable's text as settings reads it: blank is unset. */
function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'object') return undefined
  return String(value).trim() || undefined
}

/** Whether UPSTREAMS is set (not blank): then it alone says where requests go. */
export function poolDeclared(raw: unknown): boolean {
  return Array.isArray(raw) || textOf(raw) !== undefined
}

/** Parses the pool from the environment's variables (secrets included, read by name). */
export function parsePool(vars: Record<string, unknown>): Pool | PoolProblem {
  const raw = vars.UPSTREAMS
  const declared = Array.isArray(raw) ? raw : textOf(raw)
  if (declared === undefined) return legacyPool(vars)
  if (textOf(vars.UPSTREAM_BASE_URL) !== undefined) {
    return {
      kind: 'misconfigured',
      variable: 'UPSTREAM_BASE_URL',
      rule: 'must be unset when UPSTREAMS is set (give each base_url in UPSTREAMS)',
    }
  }
  let value: unknown = declared
  if (typeof declared === 'string') {
    try {
      value = JSON.parse(declared)
    } catch {
      return { kind: 'misconfigured', variable: 'UPSTREAMS', rule: 'is not valid JSON' }
    }
  }
  const parsed = entries.safeParse(value)
  if (!parsed.success) return problemOf(parsed.error.issues[0], value)
  const pool: PoolEntry[] = []
  for (const [index, item] of parsed.data.entries()) {
    const apiKey = textOf(vars[item.key])
    if (apiKey === undefined || typeof vars[item.key] !== 'string') {
      return {
        kind: 'misconfigured',
        variable: `UPSTREAMS[${index}].key`,
        rule: `names the secret ${item.key}, which is not set`,
      }
    }
    pool.push(entryOf(item, apiKey))
  }
  return { kind: 'remote', entries: pool }
}

function entryOf(item: EntryInput, apiKey: string): PoolEntry {
  const shared = {
    name: item.name,
    baseUrl: item.base_url,
    keyName: item.key,
    apiKey,
    weight: item.weight,
    imagesPerMinute: item.images_per_minute ?? null,
  }
  if (item.kind === 'openai') {
    const models = item.models ?? MODEL_IDS
    return { ...shared, kind: 'openai', models, deployments: {}, apiVersion: null }
  }
  const models = MODEL_IDS.filter((id) => item.deployments[id] !== undefined)
  const deployments: Partial<Record<ModelId, string>> = { ...item.deployments }
  return { ...shared, kind: 'azure', models, deployments, apiVersion: item.api_version }
}

/** Today's single upstream, unchanged: a base URL (http allowed, as before), a key, or both. */
function legacyPool(vars: Record<string, unknown>): Pool | PoolProblem {
  const base = textOf(vars.UPSTREAM_BASE_URL)
  const apiKey = textOf(vars.UPSTREAM_API_KEY) ?? null
  if (base === undefined && apiKey === null) return { kind: 'demo' }
  if (base !== undefined && !isHttpUrl(base)) {
    return {
      kind: 'misconfigured',
      variable: 'UPSTREAM_BASE_URL',
      rule: 'must be an http or https URL, such as https://api.openai.com/v1',
    }
  }
  const entry: PoolEntry = {
    name: LEGACY_NAME,
    kind: 'openai',
    baseUrl: base?.replace(/\/+$/, '') ?? OPENAI_BASE_URL,
    keyName: apiKey === null ? null : 'UPSTREAM_API_KEY',
    apiKey,
    models: MODEL_IDS,
    deployments: {},
    apiVersion: null,
    weight: 1,
    imagesPerMinute: null,
  }
  return { kind: 'remote', entries: [entry] }
}

function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol)
  } catch {
    return false
  }
}
