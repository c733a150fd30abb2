/**
 * The pool's one Durable Object: every isolate's requests acquire upstreams here, so capacity,
 * cool-downs, circuits and the weighted choice are one consistent state, one RPC per request.
 * State per upstream is persisted (small, bounded); waiters live in memory, woken by its alarm.
 */
import { DurableObject } from 'cloudflare:workers'
import { type CapacitySpec, MAX_UPSTREAMS } from '../pool-config/entry'
import type { Outcome, UpstreamHealth } from './health-state'
import { type AcquireFacts, type AcquireResult, type Grant, PoolScheduler } from './scheduler'
import type { UpstreamView } from './view'

/** The instance's name: one for the whole pool. */
export const POOL_OBJECT_NAME = 'pool'
const HEALTH_KEY = 'health:'
/** The longest a caller may wait in the queue (the owner's own deadlines are shorter). */
const MAX_WAIT_MS = 3_600_000
const MAX_IMAGES = 10

export class UpstreamPool extends DurableObject<Env> {
  private readonly scheduler: PoolScheduler
  /** When the alarm is set for, as far as this instance knows. */
  private alarmAt: number | null = null

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    const kv = ctx.storage.kv
    this.scheduler = new PoolScheduler({
      load: (name) => kv.get<UpstreamHealth>(HEALTH_KEY + name),
      save: (name, health) => kv.put(HEALTH_KEY + name, health),
      forget: (name) => {
        kv.delete(HEALTH_KEY + name)
      },
    })
  }

  /**
   * An upstream for a request, at once or after waiting up to `maxWaitMs` in line (first come,
   * first served); else the estimated wait, or `unavailable` when none can serve without an
   * operator.
   */
  async acquire(facts: AcquireFacts): Promise<AcquireResult> {
    checkFacts(facts)
    return new Promise((resolve) => {
      const result = this.scheduler.acquire(facts, Date.now(), resolve)
      if (result) resolve(result)
      this.arm()
    })
  }

  /** How a granted call ended. Exactly once per grant; a lost report only delays a probe. */
  report(grant: Grant, outcome: Outcome): void {
    this.scheduler.report(grant, outcome, Date.now())
    this.arm()
  }

  /** The granted call went out at `at` (Unix ms): its images count from then. */
  sent(grant: Grant, at: number): void {
    const ok =
      typeof grant?.upstream === 'string' &&
      whole(grant.images, 1, MAX_IMAGES) &&
      Number.isFinite(grant.at) &&
      Number.isFinite(at) &&
      at >= grant.at &&
      at - grant.at <= MAX_WAIT_MS
    if (!ok) throw new TypeError('sent: a grant, and a time after it was granted')
    checkName(grant.upstream)
    this.scheduler.sent(grant, at, Date.now())
  }

  snapshot(specs: CapacitySpec[]): UpstreamView[] {
    if (!Array.isArray(specs) || specs.length > MAX_UPSTREAMS || !specs.every(isSpec))
      throw new TypeError(`snapshot: at most ${MAX_UPSTREAMS} capacity specs`)
    return this.scheduler.snapshot(specs, Date.now())
  }

  /** The operator puts an upstream back at once (after fixing its key, say). */
  enable(name: string): void {
    checkName(name)
    this.scheduler.enable(name, Date.now())
    this.arm()
  }

  /** The operator takes an upstream out until `until` (Unix ms), or until enabled (null). */
  disable(name: string, until: number | null): void {
    checkName(name)
    if (until !== null && !Number.isFinite(until))
      throw new TypeError('disable: until is a time or null')
    this.scheduler.disable(name, until, Date.now())
    this.arm()
  }

  /** Serves the waiters whose moment came (capacity freed, a deadline). */
  override alarm(): void {
    this.alarmAt = null
    this.scheduler.pump(Date.now())
    this.arm()
  }

  /**
   * The alarm at the next moment a waiter could be served or must be answered; set only when
   * that moment changes. An alarm left over from waiters gone (an eviction) pumps nothing.
   */
  private arm(): void {
    const wake = this.scheduler.nextWakeAt()
    if (wake === null || wake === this.alarmAt) return
    this.alarmAt = wake
    this.ctx.storage.setAlarm(wake)
  }
}

/** RPC arguments come from our own worker, but a bad one must not grow state or hang a caller. */
function checkFacts(facts: AcquireFacts): void {
  const { candidates, images, maxWaitMs } = facts
  const ok =
    Array.isArray(candidates) &&
    candidates.length >= 1 &&
    candidates.length <= MAX_UPSTREAMS &&
    candidates.every(isSpec) &&
    whole(images, 1, MAX_IMAGES) &&
    Number.isFinite(maxWaitMs) &&
    maxWaitMs >= 0 &&
    maxWaitMs <= MAX_WAIT_MS
  if (!ok) {
    throw new TypeError(
      `acquire: candidates 1..${MAX_UPSTREAMS} capacity specs, images 1..${MAX_IMAGES}, maxWaitMs 0..${MAX_WAIT_MS}`,
    )
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > 63)
    throw new TypeError('an upstream name is 1 to 63 characters')
}

const whole = (value: unknown, min: number, max: number) =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max

function isSpec(spec: CapacitySpec): boolean {
  return (
    typeof spec?.name === 'string' &&
    spec.name.length >= 1 &&
    spec.name.length <= 63 &&
    whole(spec.weight, 1, 1000) &&
    (spec.imagesPerMinute === null || whole(spec.imagesPerMinute, 1, 100_000)) &&
    (spec.imagesPer10s === null || whole(spec.imagesPer10s, 1, 100_000))
  )
}
