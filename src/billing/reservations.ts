/**
 * Paying for generations: the worker names who would pay and the most it can cost; the owner
 * reserves when it really starts a generation, then settles what the upstream reports or refunds.
 */
import type { Bindings } from '../env'
import type { Failure } from '../failure'
import type { Principal } from '../principal'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { Settings } from '../settings'
import { ledgerKind, ledgerName, ledgerOf } from './ledger-name'
import { costOf, estimateCost, MICROS_PER_USD, usd } from './prices'

/** A reservation to settle: the ledger's name, the reservation's id and what it holds. */
export interface BillingRef {
  ledger: string
  reservationId: string
  reservedMicros: number
}

/**
 * Who pays if a request starts a generation, as plain data the generation's owner acts on: the
 * ledger, the most the request can cost, and how long to hold it.
 */
export interface Payer {
  /** `key:<hash>` (a managed key's balance) or `budget:<day>` (the anonymous daily budget). */
  ledger: string
  micros: number
  holdMs: number
  /** The anonymous budget's amount for the day, which opens its ledger on first use. */
  initialMicros?: number
}

/**
 * How long a hold outlives the generation's own deadlines (headers and total) before the ledger
 * releases it: a generation still running then has lost its owner.
 */
const HOLD_MARGIN_MS = 5 * 60_000

/**
 * Who would pay for a miss; null when nobody pays (the operator's keys, signed embeds, the demo).
 * Joins and cache hits never reserve; an exhausted balance is that caller's 403 before any call;
 * a settlement never charges more than was held. Cache hits count as money saved.
 */
export function payerFor(
  settings: Settings,
  principal: Principal,
  request: NormalizedImageRequest,
): Payer | null {
  if (settings.demo || principal.kind === 'operator' || principal.kind === 'signed') return null
  const micros = estimateCost(request)
  const holdMs = settings.upstream.timeoutMs + settings.upstream.totalTimeoutMs + HOLD_MARGIN_MS
  if (principal.kind === 'managed') return { ledger: principal.ledger, micros, holdMs }
  const initialMicros = Math.round(settings.dailyBudgetUsd * MICROS_PER_USD)
  const budget = ledgerName('budget', new Date().toISOString().slice(0, 10))
  return { ledger: budget, micros, holdMs, initialMicros }
}

/**
 * Reserves what a generation may cost on its payer's ledger (the owner calls this when it really
 * starts one): the reservation to settle, or the payer's 403.
 */
export async function reserve(
  env: Bindings,
  payer: Payer,
): Promise<{ ok: true; billing: BillingRef } | { ok: false; failure: Failure }> {
  const { micros, holdMs, initialMicros } = payer
  const reservation = await ledgerOf(env, payer.ledger).reserve(micros, holdMs, initialMicros)
  if (reservation.ok) {
    const billing = { ledger: payer.ledger, reservationId: reservation.id, reservedMicros: micros }
    return { ok: true, billing }
  }
  if (initialMicros !== undefined) {
    const message =
      "Today's budget for anonymous use is spent. Try again after midnight UTC, or use an API key."
    return { ok: false, failure: forbidden('daily_budget_exhausted', message) }
  }
  const message = `Insufficient balance: this request may cost up to $${usd(micros).toFixed(4)} and $${usd(reservation.availableMicros).toFixed(4)} is available. Ask the operator to add credit, or lower n, size or quality.`
  return { ok: false, failure: forbidden('insufficient_balance', message) }
}

function forbidden(code: string, message: string): Failure {
  return { kind: 'forbidden', code, param: null, message }
}

/**
 * Settles a finished generation: the cost of the usage the upstream reported, or without a report
 * the reserved estimate. The ledger charges at most what it held; both amounts are returned.
 */
export async function settleGeneration(
  env: Bindings,
  ref: BillingRef,
  request: NormalizedImageRequest,
  usage: Record<string, unknown> | undefined,
): Promise<{ costMicros: number; chargedMicros: number }> {
  const costMicros = usage ? costOf(request, usage) : ref.reservedMicros
  const chargedMicros = await ledgerOf(env, ref.ledger).settle(ref.reservationId, costMicros)
  return { costMicros, chargedMicros }
}

/** What a generation nobody paid for was worth: its usage, or without a report its estimate. */
export function generationCost(
  request: NormalizedImageRequest,
  usage: Record<string, unknown> | undefined,
): number {
  return usage ? costOf(request, usage) : estimateCost(request)
}

/**
 * Releases a reservation. Idempotent, and it never
 * throws: a refund that fails is logged, and the hold expires on its own.
 */
export async function refund(env: Bindings, ref: BillingRef): Promise<void> {
  try {
    await ledgerOf(env, ref.ledger).refund(ref.reservationId)
  } catch (error) {
    console.error(
      JSON.stringify({
        event: 'refund_failed',
        ledger: ledgerKind(ref.ledger),
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
  return ledgerOf(env, principal.ledger).recordHit(costOf(request, usage))
}
