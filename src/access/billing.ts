/**
 * Paying for generations. Before an upstream call, the most it can cost is reserved on the
 * payer's ledger (a managed key's balance, or the day's anonymous budget): an exhausted balance
 * is a 403 before any call. After it, the generation's owner settles the real cost from the
 * returned usage, or refunds on failure. Cache hits cost nothing and count as money saved.
 */
import type { Bindings, Principal } from '../env'
import { fail } from '../errors'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { Settings } from '../settings'
import { ledger } from './keys'
import { estimateCost, MICROS_PER_USD, usd } from './pricing'

/** A reservation to settle: the ledger's name and the reservation's id. */
export interface BillingRef {
  ledger: string
  reservationId: string
}

/** Reserves funds for a miss; null when nobody pays (bootstrap keys, the demo generator). */
export async function reserveFor(
  env: Bindings,
  settings: Settings,
  principal: Principal,
  request: NormalizedImageRequest,
): Promise<BillingRef | null> {
  if (settings.demo || principal.kind === 'key' || principal.kind === 'signed') return null
  const estimate = estimateCost(request)
  if (principal.kind === 'managed') {
    const reservation = await ledger(env, principal.ledger).reserve(estimate)
    if (!reservation.ok) {
      fail({
        kind: 'forbidden',
        code: 'insufficient_balance',
        param: null,
        message: `Insufficient balance: this request may cost up to $${usd(estimate).toFixed(4)} and $${usd(reservation.availableMicros).toFixed(4)} is available. Ask the operator to add credit, or lower n, size or quality.`,
      })
    }
    return { ledger: principal.ledger, reservationId: reservation.id }
  }
  const initial = Math.round(settings.dailyBudgetUsd * MICROS_PER_USD)
  const name = `budget:${new Date().toISOString().slice(0, 10)}`
  const reservation = await ledger(env, name).reserve(estimate, initial)
  if (!reservation.ok) {
    fail({
      kind: 'forbidden',
      code: 'daily_budget_exhausted',
      param: null,
      message:
        "Today's budget for anonymous use is spent. Try again after midnight UTC, or use an API key.",
    })
  }
  return { ledger: name, reservationId: reservation.id }
}

export function settle(env: Bindings, ref: BillingRef, micros: number): Promise<void> {
  return ledger(env, ref.ledger).settle(ref.reservationId, micros)
}

export function refund(env: Bindings, ref: BillingRef): Promise<void> {
  return ledger(env, ref.ledger).refund(ref.reservationId)
}
