/**
 * What a request brings to its account's ledger to be admitted, and what it gets back, so the
 * ledger decides in one call; and the checks on a key that come before any window.
 */

import type { KeyRecord } from '../principal'
import type { RateWindow } from './client-windows'

export type { RateWindow }

/** What a request brings to its ledger to be admitted, so the ledger decides in one call. */
export interface Entry {
  /** Requests per minute when the account sets no limit of its own. */
  limit: number
  /** A managed key's ledger: who calls. Absent for a client's ledger (an anonymous IP). */
  key?: KeyEntry
}

/** Who calls with a managed key: what a publishable key is checked and counted by. */
export interface KeyEntry {
  /** The page's origin, which a publishable key's allowlist must hold. */
  origin: string | null
  /** The client (an IPv4 address, an IPv6 /64), null without an address. */
  client: string | null
  /** Requests per minute per client of a publishable key that sets no limit of its own. */
  clientLimit: number
}

/** Why a key's ledger refused a request before counting it. */
export type KeyRefusal =
  | 'unknown_key'
  | 'revoked'
  | 'origin_not_allowed'
  | 'client_address_required'

export type Admission =
  | ({ allowed: true; record: KeyRecord | null } & RateWindow)
  /** A full window: the account's own, or (publishable keys) the calling client's. */
  | ({ allowed: false; refusal: 'rate_limited'; scope: 'account' | 'client' } & RateWindow)
  | { allowed: false; refusal: KeyRefusal }

/** Why a key refuses this caller before any window is looked at; null when none applies. */
export function keyRefusal(record: KeyRecord | null, key: KeyEntry): KeyRefusal | null {
  if (!record) return 'unknown_key'
  if (record.revoked) return 'revoked'
  if (record.kind !== 'publishable') return null
  if (key.origin === null || !record.origins.includes(key.origin)) return 'origin_not_allowed'
  return key.client === null ? 'client_address_required' : null
}

/** A window as a caller sees it. */
export function shown({ limit, remaining, reset }: RateWindow): RateWindow {
  return { limit, remaining, reset }
}
