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

export interface Admission {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the window resets. */
  reset: number
  record: KeyRecord | null
}

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

  /** Counts a request against the one-minute window (the key's own limit, else `defaultLimit`). */
  async admit(defaultLimit: number, now = Date.now()): Promise<Admission> {
    const limit = this.state.record?.rateLimitPerMinute ?? defaultLimit
    const window = this.state.window
    if (now - window.start >= WINDOW_MS) {
      window.start = now
      window.count = 0
    }
    const reset = Math.ceil((window.start + WINDOW_MS - now) / 1000)
    const allowed = window.count < limit
    if (allowed) {
      window.count++
      this.state.requests++
    }
    await this.save()
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - window.count),
      reset,
      record: this.state.record,
    }
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
