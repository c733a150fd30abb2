/**
 * The owner of work that outlives a request (a batch, a job), as plain text a queue message or a
 * record keeps, and back to its principal when the work runs: a key revoked meanwhile stops it.
 */
import { ledgerName } from '../billing/ledger-name'
import type { Bindings } from '../env'
import type { Principal } from '../principal'
import type { Settings } from '../settings'
import { keyIndex } from './keys'

const OPERATOR = /^operator:(\d{1,4})$/

/** A managed key's id, or `operator:<n>` for GATEWAY_KEYS' n-th; null for callers with no key. */
export function ownerIdOf(principal: Principal): string | null {
  if (principal.kind === 'managed') return principal.record.id
  if (principal.kind === 'operator') return `operator:${principal.keyIndex}`
  return null
}

/** The principal of `ownerId` now; null when its key is gone or revoked. */
export async function principalOf(
  env: Bindings,
  settings: Settings,
  ownerId: string,
): Promise<Principal | null> {
  const operator = OPERATOR.exec(ownerId)
  if (operator) {
    const index = Number(operator[1])
    return index < settings.gatewayKeys.length ? { kind: 'operator', keyIndex: index } : null
  }
  const entry = await keyIndex(env).get(ownerId)
  if (!entry || entry.record.revoked) return null
  return {
    kind: 'managed',
    id: entry.record.id,
    ledger: ledgerName('key', entry.hash),
    record: entry.record,
  }
}

/** The secrets that sign `ownerId`'s webhooks: a managed key's, none for anyone else. */
export async function webhookSecretsOf(env: Bindings, ownerId: string): Promise<string[]> {
  if (OPERATOR.test(ownerId)) return []
  const secret = (await keyIndex(env).get(ownerId))?.record.webhookSecret
  return secret ? [secret] : []
}
