/**
 * Managed client keys, made, listed, credited and revoked through the admin API. Only a key's
 * SHA-256 is kept (it names the key's ledger); the secret is shown once, at creation.
 */

import { newWebhookSecret } from '../background/webhooks/signing'
import type { Usage } from '../billing/ledger'
import { ledgerName, ledgerOf } from '../billing/ledger-name'
import { MICROS_PER_USD, usd } from '../billing/prices'
import type { Bindings } from '../env'
import { KEY_PREFIXES, type KeyRecord, type Permissions } from '../principal'
import { base64Url, sha256Hex } from '../stream/bytes'

/** `bytes` random bytes as base64url text. */
const randomText = (bytes: number) => base64Url(crypto.getRandomValues(new Uint8Array(bytes)))

export function keyIndex(env: Bindings) {
  return env.KEY_INDEX.get(env.KEY_INDEX.idFromName('index'))
}

export interface NewKey {
  name: string
  kind: 'secret' | 'publishable'
  origins?: string[]
  /** Starting balance; unset means unlimited. */
  balance_usd?: number
  permissions?: Permissions
  rate_limit_per_minute?: number
  /** A publishable key's requests per minute from each client. */
  client_rate_limit_per_minute?: number
  cache_scope?: 'shared' | 'key'
  /** The default receiver of the key's batch and job webhooks (checked by the route). */
  webhook_url?: string
}

/** Creates a key; returns its record and the secret, which is never retrievable again. */
export async function createKey(
  env: Bindings,
  input: NewKey,
): Promise<{ record: KeyRecord; secret: string }> {
  const secret = `${KEY_PREFIXES[input.kind]}${randomText(24)}`
  const hash = await sha256Hex(secret)
  const record: KeyRecord = {
    id: `key_${randomText(9)}`,
    name: input.name,
    kind: input.kind,
    origins: input.origins ?? [],
    permissions: input.permissions ?? {},
    rateLimitPerMinute: input.rate_limit_per_minute ?? null,
    clientRateLimitPerMinute: input.client_rate_limit_per_minute ?? null,
    createdAt: new Date().toISOString(),
    revoked: false,
    cacheScope: input.cache_scope ?? 'shared',
    webhookUrl: input.webhook_url ?? null,
    webhookSecret: newWebhookSecret(),
  }
  const balance =
    input.balance_usd === undefined ? null : Math.round(input.balance_usd * MICROS_PER_USD)
  await ledgerOf(env, ledgerName('key', hash)).setup(record, balance)
  await keyIndex(env).add({ record, hash })
  return { record, secret }
}

/** Revokes or credits a key by id; returns the updated record, or null for an unknown id. */
export async function updateKey(
  env: Bindings,
  id: string,
  patch: { revoked?: boolean; creditMicros?: number },
) {
  const entry = await keyIndex(env).get(id)
  if (!entry) return null
  const record = await ledgerOf(env, ledgerName('key', entry.hash)).update(patch)
  if (record) await keyIndex(env).replace({ record, hash: entry.hash })
  return { record, hash: entry.hash }
}

/** A key as the admin API shows it, with its ledger's usage (`hash` null: none): never its secret. */
export async function shownKey(env: Bindings, record: KeyRecord, hash: string | null) {
  const usage: Usage | null = hash ? await ledgerOf(env, ledgerName('key', hash)).usage() : null
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    origins: record.origins,
    permissions: record.permissions,
    rate_limit_per_minute: record.rateLimitPerMinute,
    client_rate_limit_per_minute: record.clientRateLimitPerMinute ?? null,
    cache_scope: record.cacheScope ?? 'shared',
    webhook_url: record.webhookUrl ?? null,
    created_at: record.createdAt,
    revoked: record.revoked,
    balance_usd: usage?.balanceMicros == null ? null : usd(usage.balanceMicros),
    spent_usd: usage ? usd(usage.spentMicros) : 0,
    requests: usage?.requests ?? 0,
    anomalies: usage?.anomalies ?? 0,
    unbilled_usd: usage ? usd(usage.unbilledMicros ?? 0) : 0,
  }
}
