/**
 * The upstream pool as plain data: each entry (an OpenAI-compatible API or an Azure OpenAI
 * resource) with what it serves and its capacity. Plain, so it crosses to Durable Objects.
 */
import type { Failure } from '../failure'
import type { ModelId } from '../models'

export type UpstreamKind = 'openai' | 'azure'

/** Enough for any real deployment; bounds the capacity tracker's state. */
export const MAX_UPSTREAMS = 32

export interface PoolEntry {
  /** Unique in the pool; shown to the operator (admin view, logs), never to clients. */
  name: string
  kind: UpstreamKind
  /** No trailing slash. openai: the API root (…/v1); azure: the resource endpoint. */
  baseUrl: string
  /** The name of the secret holding the key (never its value); null: no key (legacy only). */
  keyName: string | null
  /** The key itself: never logged, never in a snapshot. */
  apiKey: string | null
  /** The models it serves (azure: those with a deployment). */
  models: readonly ModelId[]
  /** azure: model → deployment name; empty for openai. */
  deployments: Readonly<Partial<Record<ModelId, string>>>
  /** azure: a dated api-version for the classic route, or `v1` for the v1 route; openai: null. */
  apiVersion: string | null
  weight: number
  /** The declared capacity; null: unknown, learned from 429s. */
  imagesPerMinute: number | null
}

/** Where requests go: the built-in demo generator, or a pool of one or more real upstreams. */
export type Pool = { kind: 'demo' } | { kind: 'remote'; entries: readonly PoolEntry[] }

/** A configuration that breaks a rule: names the field (`UPSTREAMS[1].deployments`), never a value. */
export type PoolProblem = Extract<Failure, { kind: 'misconfigured' }>

/** What the capacity tracker needs of an entry (no URL, no key). */
export interface CapacitySpec {
  name: string
  weight: number
  imagesPerMinute: number | null
  /**
   * The most images in any 10 s, or null for no such limit. Azure enforces its per-minute quota
   * over 1 s or 10 s windows (a burst below the per-minute figure is refused), so an Azure entry
   * with a declared figure gets a sixth of it per 10 s.
   */
  imagesPer10s: number | null
}

export function capacityOf(entry: PoolEntry): CapacitySpec {
  const perMinute = entry.imagesPerMinute
  return {
    name: entry.name,
    weight: entry.weight,
    imagesPerMinute: perMinute,
    imagesPer10s: entry.kind === 'azure' && perMinute !== null ? Math.ceil(perMinute / 6) : null,
  }
}

/** An entry as the operator may see it: no key, only the secret's name. */
export function describeEntry(entry: PoolEntry) {
  const { apiKey: _secret, ...visible } = entry
  return visible
}
