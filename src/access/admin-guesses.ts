/**
 * Wrong ADMIN_TOKENs counted per client, in the ledger `admin:<client>`: a client past its window
 * is refused before its token is even compared (so a guess past the limit learns nothing), and
 * only a wrong token counts, so no client's guesses slow another's admin calls.
 */
import { ledgerName, ledgerOf } from '../billing/ledger-name'
import type { Bindings } from '../env'
import type { Failure } from '../failure'

/**
 * Where requests without a client address count together. Cloudflare sets one on every request
 * from the internet, so only local tools land here.
 */
const NO_ADDRESS = 'no-address'

/** A client's window of wrong admin tokens under `limit` guesses a minute. */
export function adminGuesses(env: Bindings, client: string | null, limit: number) {
  const ledger = ledgerOf(env, ledgerName('admin', client ?? NO_ADDRESS))
  const refusal = (reset: number): Failure => ({
    kind: 'rate_limited',
    limit,
    reset,
    scope: 'admin_token',
  })
  return {
    /** The refusal when this client's window is full; null when it may try a token. */
    async refusal(): Promise<Failure | null> {
      const window = await ledger.window(limit)
      return window.full ? refusal(window.reset) : null
    },
    /** Counts a wrong token; the refusal when the window filled meanwhile. */
    async count(): Promise<Failure | null> {
      const admission = await ledger.admit({ limit })
      return !admission.allowed && admission.refusal === 'rate_limited'
        ? refusal(admission.reset)
        : null
    },
  }
}
