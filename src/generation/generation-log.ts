/**
 * The owner's part of the request log: once a generation has ended, one row for each waiter it
 * answered, written in one batch, with what only the owner knows (money, pictures, the upstream).
 */
import { type BillingRef, generationCost, settleGeneration } from '../billing/reservations'
import type { Bindings } from '../env'
import { type GenerationEnd, type LoggedWaiter, ownerRows } from '../log/owner-rows'
import { writeRequests } from '../log/writer'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { Generation } from './generation'

/** What a generation cost its payer: held before the call, then worth and charged when settled. */
export interface Money {
  reservedMicros: number
  costMicros: number
  chargedMicros: number
}

export const NO_MONEY: Money = { reservedMicros: 0, costMicros: 0, chargedMicros: 0 }

/**
 * Settles a finished generation with its payer (the ledger charges at most what it held); one
 * nobody paid for is still worth its usage, except the demo generator's, which costs nothing.
 */
export async function settle(
  env: Bindings,
  billing: BillingRef | null,
  request: NormalizedImageRequest,
  usage: Record<string, unknown> | undefined,
  upstream: 'remote' | 'demo',
): Promise<Money> {
  if (billing) {
    const settled = await settleGeneration(env, billing, request, usage)
    return { reservedMicros: billing.reservedMicros, ...settled }
  }
  if (upstream === 'demo') return NO_MONEY
  return { ...NO_MONEY, costMicros: generationCost(request, usage) }
}

/** Writes the rows of an ended generation's waiters; never rejects (see writeRequests). */
export async function logGeneration(
  db: D1Database | undefined,
  generation: Generation,
  waiters: { starter: LoggedWaiter; joiners: readonly LoggedWaiter[] },
  ended: { upstream: string | null; money: Money },
): Promise<void> {
  if (!db) return
  const outcome = generation.outcome
  const failure = outcome?.kind === 'failed' ? outcome.failure : null
  const images = failure ? [] : await generation.images().catch(() => [])
  const end: GenerationEnd = {
    failure,
    images,
    upstream: ended.upstream,
    ...ended.money,
    // A failed generation is refunded: it cost the payer nothing.
    costMicros: failure ? 0 : ended.money.costMicros,
    endedAt: Date.now(),
  }
  await writeRequests(db, ownerRows(waiters.starter, waiters.joiners, end))
}
