/**
 * The list of managed keys, for the admin API and for CORS preflights (which carry no key, so
 * the union of publishable keys' origins is what they are checked against). One instance,
 * holding ids, names and origins: never secrets, only the hash that names each key's ledger.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Bindings } from '../env'
import type { KeyRecord } from '../principal'

export interface IndexEntry {
  record: KeyRecord
  /** SHA-256 of the secret: the name of the key's AccessLedger. */
  hash: string
}

export class KeyIndex extends DurableObject<Bindings> {
  async add(entry: IndexEntry): Promise<void> {
    await this.ctx.storage.put(`key:${entry.record.id}`, entry)
  }

  async get(id: string): Promise<IndexEntry | null> {
    return (await this.ctx.storage.get<IndexEntry>(`key:${id}`)) ?? null
  }

  async list(): Promise<IndexEntry[]> {
    return [...(await this.ctx.storage.list<IndexEntry>({ prefix: 'key:' })).values()]
  }

  async replace(entry: IndexEntry): Promise<void> {
    await this.ctx.storage.put(`key:${entry.record.id}`, entry)
  }

  /** Origins of every live publishable key. */
  async origins(): Promise<string[]> {
    const entries = await this.list()
    return [
      ...new Set(
        entries
          .filter((e) => e.record.kind === 'publishable' && !e.record.revoked)
          .flatMap((e) => e.record.origins),
      ),
    ]
  }
}
