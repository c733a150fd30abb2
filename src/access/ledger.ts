/**
 * One consistent owner per account (a Durable Object): a managed key (named by its secret's
 * hash), an anonymous client IP, or a day's anonymous budget. It keeps the key's record, a
 * balance in micro-dollars with reservations, a one-minute rate window and usage counters.
 * Reservations are made before an upstream call and settled (never above what was held) or
 * refunded after, so the balance minus what is held is never negative, whatever the concurrency;
 * a reservation whose generation vanished (its owner evicted or redeployed) expires by an alarm.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Bindings } from '../env'
import type { KeyRecord } from './key-record'

export interface Usage {
  balanceMicros: number | null
  spentMicros: number
  requests: number
  cacheHits: number
  savedMicros: number
  /** Generations whose reported cost exceeded what was held (the excess was not charged). */
  anomalies: number
  /** Their excess, and the cost of generations settled after their hold had expired. */
  unbilledMicros: number
}

/** Funds held for one generation until it is settled, refunded, or the hold expires. */
interface Hold {
  micros: number
  expiresAt: number
}

interface State extends Usage {
  record: KeyRecord | null
  /** Holds by reservation id (a bare number: a hold stored before holds expired). */
  reserved: Record<string, Hold | number>
  /** The latest reservations released by expiry, so a late settlement is seen as one. */
  expired: string[]
  window: { start: number; count: number }
}

/** What a request brings to its ledger to be admitted, so the ledger decides in one call. */
export interface Entry {
  /** Requests per minute when the account sets no limit of its own. */
  limit: number
  /**
   * A managed key's ledger: the page's origin, which a publishable key's allowlist must hold.
   * Absent for a client's ledger (an anonymous IP), which has no record to check.
   */
  key?: { origin: string | null }
}

/** Where a request stands in its account's one-minute window. */
export interface RateWindow {
  limit: number
  remaining: number
  /** Seconds until the window resets. */
  reset: number
}

/** Why a key's ledger refused a request before counting it. */
export type KeyRefusal = 'unknown_key' | 'revoked' | 'origin_not_allowed'

export type Admission =
  | ({ allowed: true; record: KeyRecord | null } & RateWindow)
  | ({ allowed: false; refusal: 'rate_limited' } & RateWindow)
  | { allowed: false; refusal: KeyRefusal }

export type Reservation = { ok: true; id: string } | { ok: false; availableMicros: number }

const WINDOW_MS = 60_000
/** Expired reservation ids remembered for late settlements. */
const MAX_EXPIRED_IDS = 100

export class AccessLedger extends DurableObject<Bindings> {
  private state: State = {
    record: null,
    balanceMicros: null,
    reserved: {},
    spentMicros: 0,
    requests: 0,
    cacheHits: 0,
    savedMicros: 0,
    anomalies: 0,
    unbilledMicros: 0,
    expired: [],
    window: { start: 0, count: 0 },
  }

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    ctx.blockConcurrencyWhile(async () => {
      const saved = await ctx.storage.get<State>('state')
      if (saved) this.state = { ...this.state, ...saved }
    })
  }

  private save(): Promise<void> {
    return this.ctx.storage.put('state', this.state)
  }

  async setup(record: KeyRecord, balanceMicros: number | null): Promise<void> {
    this.state.record = record
    this.state.balanceMicros = balanceMicros
    await this.save()
  }

  async update(patch: { revoked?: boolean; creditMicros?: number }): Promise<KeyRecord | null> {
    const { record } = this.state
    if (!record) return null
    if (patch.revoked !== undefined) record.revoked = patch.revoked
    if (patch.creditMicros)
      this.state.balanceMicros = (this.state.balanceMicros ?? 0) + patch.creditMicros
    await this.save()
    return record
  }

  /**
   * Admits a request, or refuses it: a key's ledger first checks that the key exists, is not
   * revoked and (publishable keys) is used from one of its origins; then the one-minute window
   * (the key's own limit, else `entry.limit`). Only an admitted request is counted and written,
   * so refused ones (an unknown key, a foreign origin, a full window) cost no storage and can
   * never use up a key's window.
   */
  async admit(entry: Entry, now = Date.now()): Promise<Admission> {
    const { record } = this.state
    if (entry.key) {
      if (!record) return { allowed: false, refusal: 'unknown_key' }
      if (record.revoked) return { allowed: false, refusal: 'revoked' }
      const origin = entry.key.origin
      if (record.kind === 'publishable' && (origin === null || !record.origins.includes(origin)))
        return { allowed: false, refusal: 'origin_not_allowed' }
    }
    const limit = record?.rateLimitPerMinute ?? entry.limit
    const window = this.state.window
    const fresh = now - window.start >= WINDOW_MS
    const start = fresh ? now : window.start
    const count = fresh ? 0 : window.count
    const reset = Math.ceil((start + WINDOW_MS - now) / 1000)
    if (count >= limit)
      return { allowed: false, refusal: 'rate_limited', limit, remaining: 0, reset }
    this.state.window = { start, count: count + 1 }
    this.state.requests++
    await this.save()
    return { allowed: true, limit, remaining: limit - count - 1, reset, record }
  }

  /**
   * Holds `micros` for a generation for at most `holdMs`. `initialMicros` opens a budget ledger on
   * first use.
   */
  async reserve(
    micros: number,
    holdMs: number,
    initialMicros?: number,
    now = Date.now(),
  ): Promise<Reservation> {
    if (this.state.balanceMicros === null && initialMicros !== undefined)
      this.state.balanceMicros = initialMicros
    this.expire(now)
    const balance = this.state.balanceMicros
    const held = this.held()
    if (balance !== null && balance - held < micros)
      return { ok: false, availableMicros: Math.max(0, balance - held) }
    const id = crypto.randomUUID()
    this.state.reserved[id] = { micros, expiresAt: now + holdMs }
    await this.save()
    await this.scheduleExpiry()
    return { ok: true, id }
  }

  /**
   * Replaces a reservation by the actual cost, never more than was held: any excess is recorded
   * as an anomaly for the operator, not charged. A hold that already expired charges nothing.
   */
  async settle(id: string, micros: number): Promise<void> {
    const hold = this.state.reserved[id]
    if (hold === undefined) {
      if (!this.state.expired.includes(id)) return // settled or refunded already
      this.state.anomalies++
      this.state.unbilledMicros += micros
      console.warn(JSON.stringify({ event: 'settled_after_hold_expired', micros }))
      await this.save()
      return
    }
    delete this.state.reserved[id]
    const heldMicros = typeof hold === 'number' ? hold : hold.micros
    const charged = Math.min(micros, heldMicros)
    if (micros > heldMicros) {
      this.state.anomalies++
      this.state.unbilledMicros += micros - heldMicros
      console.warn(JSON.stringify({ event: 'cost_above_reservation', micros, heldMicros }))
    }
    if (this.state.balanceMicros !== null) this.state.balanceMicros -= charged
    this.state.spentMicros += charged
    await this.save()
  }

  async refund(id: string): Promise<void> {
    if (!(id in this.state.reserved)) return
    delete this.state.reserved[id]
    await this.save()
  }

  /** Releases holds whose generation never settled them (an evicted or redeployed owner). */
  override async alarm(): Promise<void> {
    if (this.expire(Date.now())) await this.save()
    await this.scheduleExpiry()
  }

  /** Drops expired holds; returns whether any was dropped. */
  private expire(now: number): boolean {
    let dropped = false
    for (const [id, hold] of Object.entries(this.state.reserved)) {
      if (typeof hold === 'number' || hold.expiresAt > now) continue
      delete this.state.reserved[id]
      this.state.expired = [...this.state.expired, id].slice(-MAX_EXPIRED_IDS)
      dropped = true
      console.warn(JSON.stringify({ event: 'reservation_expired', micros: hold.micros }))
    }
    return dropped
  }

  /** Sets the alarm to the earliest hold's expiry (or clears it when nothing is held). */
  private async scheduleExpiry(): Promise<void> {
    const holds = Object.values(this.state.reserved).filter((hold) => typeof hold !== 'number')
    if (holds.length === 0) return
    const earliest = Math.min(...holds.map((hold) => (hold as Hold).expiresAt))
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > earliest) await this.ctx.storage.setAlarm(earliest)
  }

  private held(): number {
    return Object.values(this.state.reserved).reduce<number>(
      (sum, hold) => sum + (typeof hold === 'number' ? hold : hold.micros),
      0,
    )
  }

  async recordHit(savedMicros: number): Promise<void> {
    this.state.cacheHits++
    this.state.savedMicros += savedMicros
    await this.save()
  }

  usage(): Usage {
    const { balanceMicros, spentMicros, requests, cacheHits, savedMicros } = this.state
    return {
      balanceMicros: balanceMicros === null ? null : balanceMicros - this.held(),
      spentMicros,
      requests,
      cacheHits,
      savedMicros,
      anomalies: this.state.anomalies,
      unbilledMicros: this.state.unbilledMicros,
    }
  }
}
