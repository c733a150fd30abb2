/** The one way to name an account's ledger (an AccessLedger) and to reach it. */
import type { Bindings } from '../env'

/**
 * What a ledger keeps: a managed key (named by its secret's SHA-256), the day's anonymous budget
 * (`YYYY-MM-DD`), or one client's window of anonymous calls (`ip`), of signed embeds (`embed`) or
 * of wrong admin tokens (`admin`).
 */
export type LedgerKind = 'key' | 'budget' | 'ip' | 'embed' | 'admin'

/** The ledger's name: `key:<hash>`, `budget:<day>`, or `ip:`, `embed:` or `admin:<client>`. */
export function ledgerName(kind: LedgerKind, id: string): string {
  return `${kind}:${id}`
}

/** What a ledger keeps, from its name (for logs, which never show the rest). */
export function ledgerKind(name: string): LedgerKind {
  return name.slice(0, name.indexOf(':')) as LedgerKind
}

/** The ledger named `name`. */
export function ledgerOf(env: Bindings, name: string) {
  return env.LEDGERS.get(env.LEDGERS.idFromName(name))
}
