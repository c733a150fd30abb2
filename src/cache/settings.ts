/** Cache settings from the environment and the request. */
import type { Bindings } from '../env'
import { ResultStore } from './store'

/** The result store, with CACHE_TTL_SECONDS applied (unset or 0: entries are kept forever). */
export function resultStore(env: Bindings): ResultStore {
  const ttl = Number(env.CACHE_TTL_SECONDS)
  return new ResultStore(env.IMAGES, Number.isFinite(ttl) && ttl > 0 ? ttl : null)
}

/** `Cache-Control: no-cache` (or no-store) asks for a fresh generation that replaces the entry. */
export function wantsFreshResult(cacheControl: string | undefined): boolean {
  return /(^|,)\s*no-(cache|store)\s*(,|$|=)/i.test(cacheControl ?? '')
}
