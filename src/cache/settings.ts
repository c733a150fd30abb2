/** Cache settings from the environment and the request. */
import type { Bindings } from '../env'
import { ResultStore } from './store'

/** CACHE_TTL_SECONDS, or null (unset or 0) when entries are kept forever. */
export function cacheTtlSeconds(env: Bindings): number | null {
  const ttl = Number(env.CACHE_TTL_SECONDS)
  return Number.isFinite(ttl) && ttl > 0 ? ttl : null
}

/** The result store, with the cache TTL applied. */
export function resultStore(env: Bindings): ResultStore {
  return new ResultStore(env.IMAGES, cacheTtlSeconds(env))
}

/** `Cache-Control: no-cache` (or no-store) asks for a fresh generation that replaces the entry. */
export function wantsFreshResult(cacheControl: string | undefined): boolean {
  return /(^|,)\s*no-(cache|store)\s*(,|$|=)/i.test(cacheControl ?? '')
}
