/**
 * One consistent owner per account (a Durable Object): a managed key (named by its secret's
 * hash), an anonymous client IP, or a day's anonymous budget. It keeps the key's record, a
 * balance in micro-dollars with reservations, a one-minute rate window and usage counters.
 * Reservations are made before an upstream call and settled or refunded after, so concurrent
 * requests can never spend money that is not there.
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
}

interface State extends Usage {
  record: KeyRecord | null
  reserved: Record<string, number>
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

export class AccessLedger extends DurableObject<Bindings> {
  private state: State = {
    record: null,
    balanceMicros: null,
    reserved: {},
    spentMicros: 0,
    requests: 0,
    cacheHits: 0,
    savedMicros: 0,
    window: { start: 0, count: 0 },
  }

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    ctx.blockConcurrencyWhile(async () => {
      const saved = await ctx.storage.get<State>('state')
      if (saved) this.state = saved
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

  /** Holds `micros` for a generation. `initialMicros` opens a budget ledger on first use. */
  async reserve(micros: number, initialMicros?: number): Promise<Reservation> {
    if (this.state.balanceMicros === null && initialMicros !== undefined)
      this.state.balanceMicros = initialMicros
    const balance = this.state.balanceMicros
    const held = Object.values(this.state.reserved).reduce((sum, value) => sum + value, 0)
    if (balance !== null && balance - held < micros)
      return { ok: false, availableMicros: Math.max(0, balance - held) }
    const id = crypto.randomUUID()
    this.state.reserved[id] = micros
    await this.save()
    return { ok: true, id }
  }

  /** Replaces a reservation by the actual cost. */
  async settle(id: string, micros: number): Promise<void> {
    if (!(id in this.state.reserved)) return
    delete this.state.reserved[id]
    if (this.state.balanceMicros !== null) this.state.balanceMicros -= micros
    this.state.spentMicros += micros
    await this.save()
  }

  async refund(id: string): Promise<void> {
    if (!(id in this.state.reserved)) return
    delete this.state.reserved[id]
    await this.save()
  }

  async recordHit(savedMicros: number): Promise<void> {
    this.state.cacheHits++
    this.state.savedMicros += savedMicros
    await this.save()
  }

  usage(): Usage {
    const { balanceMicros, spentMicros, requests, cacheHits, savedMicros } = this.state
    const held = Object.values(this.state.reserved).reduce((sum, value) => sum + value, 0)
    return {
      balanceMicros: balanceMicros === null ? null : balanceMicros - held,
      spentMicros,
      requests,
      cacheHits,
      savedMicros,
    }
  }
}
