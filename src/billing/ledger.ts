/**
 * One consistent owner per account (a Durable Object): a key's record, its balance with
 * reservations, its rate windows and usage counters; the balance minus holds is never negative.
 */
import { DurableObject } from 'cloudflare:workers'
import { type Admission, type Entry, keyRefusal, type RateWindow, shown } from '../access/admission'
import { ClientWindows, standing, type Window } from '../access/client-windows'
import type { Bindings } from '../env'
import type { KeyRecord } from '../principal'

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
  window: Window
}

export type Reservation = { ok: true; id: string } | { ok: false; availableMicros: number }

/** Expired reservation ids remembered for late settlements. */
const MAX_EXPIRED_IDS = 100

/**
 * Reservations are made before an upstream call and settled (never above what was held) or
 * refunded after, whatever the concurrency; a reservation whose generation vanished (its owner
 * evicted or redeployed) expires by an alarm.
 */
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
  private clients = new ClientWindows()

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    ctx.blockConcurrencyWhile(async () => {
      const saved = await ctx.storage.get<State>('state')
      if (saved) this.state = { ...this.state, ...saved }
      if (saved?.record?.kind === 'publishable')
        this.clients = await ClientWindows.load(ctx.storage)
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
   * revoked and (publishable keys) is used from one of its origins by a client with an address;
   * then the one-minute window (the key's own limit, else `entry.limit`) and, for a publishable
   * key, the client's own window within it. Only an admitted request is counted and written, so
   * refused ones (an unknown key, a foreign origin, a full window) cost no storage and can never
   * use up a key's window; a client past its own window leaves the key's to the other clients.
   * An admitted request is told the tighter of its windows.
   */
  async admit(entry: Entry, now = Date.now()): Promise<Admission> {
    const { record } = this.state
    const refusal = entry.key ? keyRefusal(record, entry.key) : null
    if (refusal) return { allowed: false, refusal }
    const own = standing(this.state.window, record?.rateLimitPerMinute ?? entry.limit, now)
    if (own.full)
      return { allowed: false, refusal: 'rate_limited', scope: 'account', ...shown(own) }
    const client = record?.kind === 'publishable' ? (entry.key?.client ?? null) : null
    const clientLimit = record?.clientRateLimitPerMinute ?? entry.key?.clientLimit ?? own.limit
    const theirs = client === null ? null : this.clients.check(client, clientLimit, now)
    if (theirs?.full)
      return { allowed: false, refusal: 'rate_limited', scope: 'client', ...shown(theirs) }
    this.state.window = own.next
    this.state.requests++
    if (client !== null && theirs)
      await this.clients.count(this.ctx.storage, client, theirs.next, now, this.state)
    else await this.save()
    const tighter = theirs && theirs.remaining < own.remaining ? theirs : own
    return { allowed: true, ...shown(tighter), record }
  }

  /**
   * Where this ledger's own window stands under `limit`, counting nothing: a client's window of
   * wrong admin tokens is looked at before a token is compared, and counted only for a wrong one.
   */
  async window(limit: number, now = Date.now()): Promise<RateWindow & { full: boolean }> {
    const { full, ...window } = standing(this.state.window, limit, now)
    return { full, ...shown(window) }
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
  /** Charges at most what was held; what was charged (0 when nothing was held any more). */
  async settle(id: string, micros: number): Promise<number> {
    const hold = this.state.reserved[id]
    if (hold === undefined) {
      if (!this.state.expired.includes(id)) return 0 // settled or refunded already
      this.state.anomalies++
      this.state.unbilledMicros += micros
      console.warn(JSON.stringify({ event: 'settled_after_hold_expired', micros }))
      await this.save()
      return 0
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
    return charged
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

  /** How many client windows a publishable key keeps (tests). */
  clientWindows(): number {
    return this.clients.size
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
