/**
 * Paying for generations, all in one place. Before an upstream call, the most it can cost is
 * reserved on the payer's ledger (a managed key's balance, or the day's anonymous budget), held
 * for at most the generation's deadlines: an exhausted balance is a 403 before any call. After
 * it, the generation's owner settles the cost the upstream reports (or the reserved estimate when
 * it reports none), never more than was held, or refunds on failure. Cache hits cost nothing and
 * count as money saved. Neither routes nor the owner compute prices.
 */
import type { Bindings, Principal } from '../env'
import { fail } from '../errors'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { Settings } from '../settings'
import { ledger } from './keys'
import { costOf, estimateCost, MICROS_PER_USD, usd } from './pricing'

/** A reservation to settle: the ledger's name, the reservation's id and what it holds. */
export interface BillingRef {
  ledger: string
  reservationId: string
  reservedMicros: number
}

/**
 * How long a hold outlives the generation's own deadlines (headers and total) before the ledger
 * releases it: a generation still running then has lost its owner.
 */
const HOLD_MARGIN_MS = 5 * 60_000

/** Reserves funds for a miss; null when nobody pays (bootstrap keys, the demo generator). */
export async function reserveFor(
  env: Bindings,
  settings: Settings,
  principal: Principal,
  request: NormalizedImageRequest,
): Promise<BillingRef | null> {
  if (settings.demo || principal.kind === 'key' || principal.kind === 'signed') return null
  const estimate = estimateCost(request)
  const holdMs = settings.upstream.timeoutMs + settings.upstream.totalTimeoutMs + HOLD_MARGIN_MS
  if (principal.kind === 'managed') {
    const reservation = await ledger(env, principal.ledger).reserve(estimate, holdMs)
    if (!reservation.ok) {
      fail({
        kind: 'forbidden',
        code: 'insufficient_balance',
        param: null,
        message: `Insufficient balance: this request may cost up to $${usd(estimate).toFixed(4)} and $${usd(reservation.availableMicros).toFixed(4)} is available. Ask the operator to add credit, or lower n, size or quality.`,
      })
    }
    return { ledger: principal.ledger, reservationId: reservation.id, reservedMicros: estimate }
  }
  const initial = Math.round(settings.dailyBudgetUsd * MICROS_PER_USD)
  const name = `budget:${new Date().toISOString().slice(0, 10)}`
  const reservation = await ledger(env, name).reserve(estimate, holdMs, initial)
  if (!reservation.ok) {
    fail({
      kind: 'forbidden',
      code: 'daily_budget_exhausted',
      param: null,
      message:
        "Today's budget for anonymous use is spent. Try again after midnight UTC, or use an API key.",
    })
  }
  return { ledger: name, reservationId: reservation.id, reservedMicros: estimate }
}

/**
 * Settles a finished generation: the cost of the usage the upstream reported, or without a report
 * the reserved estimate. The ledger charges at most what it held.
 */
export function settleGeneration(
  env: Bindings,
  ref: BillingRef,
  request: NormalizedImageRequest,
  usage: Record<string, unknown> | undefined,
): Promise<void> {
  const cost = usage ? costOf(request, usage) : ref.reservedMicros
  return ledger(env, ref.ledger).settle(ref.reservationId, cost)
}

/**
 * Releases a reservation. Idempotent (the owner and the worker may both try), and it never
 * throws: a refund that fails is logged, and the hold expires on its own.
 */
export async function refund(env: Bindings, ref: BillingRef): Promise<void> {
  try {
    await ledger(env, ref.ledger).refund(ref.reservationId)
  } catch (error) {
    console.error(
      JSON.stringify({
        event: 'refund_failed',
        ledger: ref.ledger.split(':')[0],
        reservationId: ref.reservationId,
        error: error instanceof Error ? error.name : 'unknown',
      }),
    )
  }
}

/** A managed key's cache hit: what it would have cost, counted as saved. */
export function recordHit(
  env: Bindings,
  principal: Principal,
  request: NormalizedImageRequest,
  usage: Record<string, unknown> | undefined,
): Promise<void> | null {
  if (principal.kind !== 'managed') return null
  return ledger(env, principal.ledger).recordHit(costOf(request, usage))
}
