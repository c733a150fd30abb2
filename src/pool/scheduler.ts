/**
 * The pool's brain, pure but for the clock passed in: grants upstreams to requests, queues those
 * that will wait (first come, first served on each upstream), takes outcomes, and describes each
 * upstream for the operator. The Durable Object around it adds storage and a timer.
 */

import type { CapacitySpec } from '../pool-config/entry'
import { type Candidate, choose } from './choose'
import { estimateWaitMs } from './estimate'
import { admit, disable, enable, settle } from './health'
import {
  DEFAULT_POLICY,
  freshHealth,
  type HealthPolicy,
  type Outcome,
  type UpstreamHealth,
} from './health-state'
import { type UpstreamView, viewOf } from './view'
import { wakeFrom } from './wake'
import { shift } from './window'

/** A granted upstream; handed back with the call's outcome. Plain data. */
export interface Grant {
  upstream: string
  ticket: string
  images: number
  /** This call is the half-open circuit's one probe. */
  probe: boolean
  /** When it was admitted (Unix ms): where its images count until `sent` moves them. */
  at: number
}

export type AcquireResult =
  | { kind: 'granted'; grant: Grant }
  /** None now: the estimated wait (for Retry-After), past the caller's budget. */
  | { kind: 'wait'; waitMs: number }
  /** Every candidate is out until an operator acts (keys rejected, quota exhausted). */
  | { kind: 'unavailable' }

export interface AcquireFacts {
  /** The entries that can serve this request (routing's verdict), with their capacities. */
  candidates: CapacitySpec[]
  /** Images the request makes (`n`). */
  images: number
  /** How long the caller will wait in the queue; 0 answers at once. */
  maxWaitMs: number
}

export interface HealthStore {
  load(name: string): UpstreamHealth | undefined
  save(name: string, health: UpstreamHealth): void
  forget(name: string): void
}

/** Waiters held at once; beyond, a request is told to come back (bounded memory). */
export const MAX_WAITERS = 1000
/** Upstreams remembered; more only after a renaming, when the oldest is forgotten. */
const MAX_UPSTREAMS_KEPT = 64

interface Waiter {
  facts: AcquireFacts
  deadline: number
  resolve: (result: AcquireResult) => void
}

export class PoolScheduler {
  private readonly healths = new Map<string, UpstreamHealth>()
  private readonly specs = new Map<string, CapacitySpec>()
  private readonly current = new Map<string, number>()
  private queue: Waiter[] = []
  /** The upstreams waiters wait for (a newcomer may not take them), and when to pump next. */
  private held = new Set<string>()
  private wakeAt: number | null = null

  constructor(
    private readonly store: HealthStore,
    private readonly policy: HealthPolicy = DEFAULT_POLICY,
    private readonly newTicket: () => string = () => crypto.randomUUID(),
  ) {}

  get queueLength(): number {
    return this.queue.length
  }

  /**
   * A grant, or how long until one (when waiting is not wanted or not worth it), or: null, and
   * `resolve` is called later, by `pump`, with a grant or (at the deadline) the wait.
   */
  acquire(
    facts: AcquireFacts,
    now: number,
    resolve?: (result: AcquireResult) => void,
  ): AcquireResult | null {
    // Nothing a waiter waits for changes but with time (outcomes and operators pump at once).
    if (this.wakeAt !== null && now >= this.wakeAt) this.pump(now)
    const choice = choose(
      this.candidates(facts),
      facts.images,
      now,
      this.policy,
      this.current,
      this.held,
    )
    if (choice.kind === 'now') return this.grant(choice.name, choice.probe, facts, now)
    if (choice.at === null) return { kind: 'unavailable' }
    const waitMs = this.estimate(facts, now, this.queue)
    const worth = resolve && facts.maxWaitMs > 0 && waitMs <= facts.maxWaitMs
    if (!worth || this.queue.length >= MAX_WAITERS) return { kind: 'wait', waitMs }
    const deadline = now + facts.maxWaitMs
    this.queue.push({ facts, deadline, resolve })
    for (const spec of facts.candidates) this.held.add(spec.name)
    const at = choice.at > now ? Math.min(choice.at, deadline) : deadline
    this.wakeAt = this.wakeAt === null ? at : Math.min(this.wakeAt, at)
    return null
  }

  /** Serves waiters in order: each upstream goes to the first waiter that can use it. */
  pump(now: number): void {
    if (this.queue.length === 0) {
      this.wakeAt = null
      return
    }
    const held = new Set<string>()
    const waiting: Waiter[] = []
    for (const waiter of this.queue) {
      const { facts } = waiter
      // Behind others on every upstream it could use: only its deadline can end its wait.
      if (waiter.deadline > now && facts.candidates.every((spec) => held.has(spec.name))) {
        waiting.push(waiter)
        continue
      }
      const choice = choose(
        this.candidates(facts),
        facts.images,
        now,
        this.policy,
        this.current,
        held,
      )
      if (choice.kind === 'now') waiter.resolve(this.grant(choice.name, choice.probe, facts, now))
      else if (choice.at === null) waiter.resolve({ kind: 'unavailable' })
      else if (waiter.deadline <= now)
        waiter.resolve({ kind: 'wait', waitMs: this.estimate(facts, now, waiting) })
      else {
        for (const spec of facts.candidates) held.add(spec.name)
        waiting.push(waiter)
      }
    }
    this.queue = waiting
    this.held = held
    this.wakeAt = wakeFrom(this.queue, (name) => this.health(name), now, this.policy)
  }

  /** When something may change for a waiter (a deadline, capacity freeing); null: no waiters. */
  nextWakeAt(): number | null {
    return this.wakeAt
  }

  /** Takes a call's outcome, then serves waiters it may have unblocked. */
  report(grant: Grant, outcome: Outcome, now: number): void {
    const health = this.health(grant.upstream)
    const spec = this.specs.get(grant.upstream) ?? specFor(grant.upstream)
    settle(health, spec, grant, outcome, now, this.policy)
    this.store.save(grant.upstream, health)
    this.pump(now)
  }

  /**
   * The granted call went out at `at`, later than it was admitted (a busy owner, a slow body): its
   * images count from then, as the upstream counts them, so the next minute's grants do not
   * arrive before the upstream's minute has passed.
   */
  sent(grant: Grant, at: number, now: number): void {
    const health = this.health(grant.upstream)
    shift(health.window, grant.at, Math.min(at, now), grant.images)
    this.store.save(grant.upstream, health)
  }

  /** The operator's actions. */
  enable(name: string, now: number): void {
    enable(this.health(name))
    this.store.save(name, this.health(name))
    this.pump(now)
  }

  disable(name: string, until: number | null, now: number): void {
    disable(this.health(name), until)
    this.store.save(name, this.health(name))
    this.pump(now)
  }

  /** Each upstream of `specs` as the admin view shows it. */
  snapshot(specs: readonly CapacitySpec[], now: number): UpstreamView[] {
    return specs.map((spec) => {
      const queued = this.queue.filter((w) => w.facts.candidates.some((c) => c.name === spec.name))
      return viewOf(spec, this.health(spec.name), queued.length, now)
    })
  }

  private candidates(facts: AcquireFacts): Candidate[] {
    return facts.candidates.map((spec) => {
      this.specs.set(spec.name, spec)
      return { spec, health: this.health(spec.name) }
    })
  }

  private grant(name: string, probe: boolean, facts: AcquireFacts, now: number): AcquireResult {
    const ticket = this.newTicket()
    const health = this.health(name)
    admit(health, facts.images, now, ticket, probe, this.policy)
    this.store.save(name, health)
    return {
      kind: 'granted',
      grant: { upstream: name, ticket, images: facts.images, probe, at: now },
    }
  }

  /** The wait for `facts` behind the waiters in `ahead` that want any of the same upstreams. */
  private estimate(facts: AcquireFacts, now: number, ahead: readonly Waiter[]): number {
    const names = new Set(facts.candidates.map((spec) => spec.name))
    let need = facts.images
    for (const waiter of ahead)
      if (waiter.facts.candidates.some((spec) => names.has(spec.name))) need += waiter.facts.images
    const ms = estimateWaitMs(this.candidates(facts), need, now, this.policy)
    return Math.max(1, ms ?? this.policy.maxOpenMs)
  }

  private health(name: string): UpstreamHealth {
    let health = this.healths.get(name)
    if (health) {
      // Most recently used last: the first is the one to forget.
      this.healths.delete(name)
      this.healths.set(name, health)
      return health
    }
    health = this.store.load(name) ?? freshHealth()
    this.healths.set(name, health)
    if (this.healths.size > MAX_UPSTREAMS_KEPT) {
      const [oldest] = this.healths.keys()
      if (oldest !== undefined && oldest !== name) {
        this.healths.delete(oldest)
        this.specs.delete(oldest)
        this.current.delete(oldest)
        this.store.forget(oldest)
      }
    }
    return health
  }
}

/** An upstream known only by name (its spec comes with the next request). */
function specFor(name: string): CapacitySpec {
  return { name, weight: 1, imagesPerMinute: null, imagesPer10s: null }
}
