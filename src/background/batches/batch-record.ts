/**
 * One batch's record, a Durable Object named by its id: the state machine of batch-state.ts kept
 * in storage, its failures, its owner and lifetime. The items consumer starts and ends items here;
 * the API reads and cancels for the owning key only. When the batch ends it hands back the webhook
 * to send until told it was queued (queueing stays with the caller, who has the binding).
 */
import { DurableObject } from 'cloudflare:workers'
import {
  type Created,
  expiresAt,
  type Lifetime,
  lifetime,
  nextAlarm,
  RECORD_TIMES,
  type WebhookTarget,
} from '../records'
import { type WebhookMessage, webhookMessage } from '../webhooks/message'
import {
  type BatchState,
  batchStatus,
  cancelBatch,
  ended,
  expireBatch,
  finishItem,
  type ItemFailure,
  type ItemResult,
  MAX_BATCH_ITEMS,
  newBatchState,
  releaseItem,
  type StartDecision,
  startItem,
} from './batch-state'
import { type BatchInit, type BatchView, publicBatch } from './batch-view'

/** A failure's message is cut to this many characters. */
const MAX_MESSAGE = 300

interface BatchMeta {
  id: string
  ownerKeyId: string
  webhook: WebhookTarget | null
  notified: boolean
  life: Lifetime
}

/** What a change did, and the webhook to queue (then call notified()) when the batch has ended. */
export interface BatchChange {
  changed: boolean
  notify: WebhookMessage | null
}

/** Whether an item may run; when not, the webhook still owed. */
export type Started =
  | Extract<StartDecision, { go: true }>
  | (Extract<StartDecision, { go: false }> & { notify: WebhookMessage | null })

const failureKey = (index: number) => `fail:${String(index).padStart(4, '0')}`

export class BatchRecord extends DurableObject<Env> {
  private meta: BatchMeta | null = null
  private state: BatchState | null = null
  /** The alarm last set (ms), so a save sets it only when it moves. */
  private alarmAt: number | null = null

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.blockConcurrencyWhile(async () => {
      this.meta = (await ctx.storage.get<BatchMeta>('meta')) ?? null
      this.state = (await ctx.storage.get<BatchState>('state')) ?? null
    })
  }

  /**
   * Creates the record; creating it again for the same owner answers the existing one. Refusals
   * are values: an error thrown across RPC would be the caller's and the object's both.
   */
  async create(init: BatchInit): Promise<Created<BatchView>> {
    if (this.meta) {
      if (this.meta.ownerKeyId !== init.ownerKeyId) return { ok: false, error: 'exists' }
      return { ok: true, view: await this.currentView() }
    }
    if (!Number.isInteger(init.total) || init.total < 1 || init.total > MAX_BATCH_ITEMS) {
      return { ok: false, error: `a batch holds 1 to ${MAX_BATCH_ITEMS} items` }
    }
    const cap = init.maxCostMicros
    if (cap !== null && (!Number.isSafeInteger(cap) || cap < 0)) {
      return { ok: false, error: 'the cap is whole micro-dollars, 0 or more' }
    }
    const life = lifetime(init, RECORD_TIMES.batchRunSeconds, RECORD_TIMES.batchKeepSeconds)
    if (typeof life === 'string') return { ok: false, error: life }
    this.meta = {
      id: init.id,
      ownerKeyId: init.ownerKeyId,
      webhook: init.webhook,
      notified: false,
      life,
    }
    this.state = newBatchState(init.total, cap)
    this.save()
    return { ok: true, view: await this.currentView() }
  }

  /** The batch as its owner sees it; null when it does not exist or `requester` does not own it. */
  async view(requester: string): Promise<BatchView | null> {
    return this.meta?.ownerKeyId === requester ? this.currentView() : null
  }

  /** Cancels for the owner: null as in view(); cancelling an ended batch changes nothing. */
  async cancel(requester: string): Promise<(BatchChange & { view: BatchView }) | null> {
    if (!this.meta || !this.state || this.meta.ownerKeyId !== requester) return null
    const changed = cancelBatch(this.state)
    if (changed) this.afterChange()
    return { changed, notify: this.pendingNotice(), view: await this.currentView() }
  }

  /**
   * An item is about to run (the items consumer asks before every attempt). When it may not, the
   * ending's webhook still owed comes with the answer (an earlier attempt ended the batch but
   * could not queue it).
   */
  async start(index: number, estimateMicros: number): Promise<Started> {
    if (!this.state) return { go: false, reason: 'no_such_item', notify: null }
    const decision = startItem(this.state, index, estimateMicros)
    if (!decision.go) return { ...decision, notify: this.pendingNotice() }
    this.save()
    return decision
  }

  async finish(index: number, result: ItemResult): Promise<BatchChange> {
    if (!this.state) return { changed: false, notify: null }
    const clean: ItemResult =
      result.state === 'failed'
        ? { ...result, message: result.message.slice(0, MAX_MESSAGE) }
        : result
    const changed = finishItem(this.state, index, clean)
    if (changed && clean.state === 'failed') {
      this.putFailures([{ index, code: clean.code, message: clean.message }])
    }
    if (changed) this.afterChange()
    return { changed, notify: this.pendingNotice() }
  }

  /** A running item goes back to wait for its retry (or is cancelled, after a cancel). */
  async release(index: number): Promise<BatchChange> {
    if (!this.state) return { changed: false, notify: null }
    const changed = releaseItem(this.state, index)
    if (changed) this.afterChange()
    return { changed, notify: this.pendingNotice() }
  }

  /** The ending's webhook was queued: it is not handed out again. */
  async notified(): Promise<void> {
    if (!this.meta) return
    this.meta.notified = true
    this.save()
  }

  /** At the run deadline, items still open fail; at expiry, the record goes. */
  override async alarm(): Promise<void> {
    this.alarmAt = null
    if (!this.meta || !this.state) return
    const now = Date.now()
    const expiry = expiresAt(this.meta.life)
    if (expiry !== null && now >= expiry) {
      await this.ctx.storage.deleteAlarm()
      await this.ctx.storage.deleteAll()
      this.meta = null
      this.state = null
      return
    }
    if (!ended(this.state) && now >= this.meta.life.runDeadline) {
      const message = 'The batch did not finish in time; this item was not made.'
      this.putFailures(expireBatch(this.state, 'expired', message))
      this.afterChange(now)
      return
    }
    this.setAlarm(nextAlarm(this.meta.life))
  }

  private putFailures(failures: ItemFailure[]): void {
    for (let at = 0; at < failures.length; at += 128) {
      const entries = failures.slice(at, at + 128).map((f) => [failureKey(f.index), f] as const)
      this.ctx.storage.put(Object.fromEntries(entries))
    }
  }

  /** Notes the end when the batch has just ended, saves, and sets the alarm. */
  private afterChange(now = Date.now()): void {
    if (this.meta && this.state && this.meta.life.endedAt === null && ended(this.state)) {
      this.meta.life.endedAt = now
    }
    this.save()
  }

  private save(): void {
    if (!this.meta || !this.state) return
    this.ctx.storage.put({ meta: this.meta, state: this.state })
    this.setAlarm(nextAlarm(this.meta.life))
  }

  private setAlarm(at: number): void {
    if (at === this.alarmAt) return
    this.alarmAt = at
    this.ctx.storage.setAlarm(at)
  }

  private async currentView(): Promise<BatchView> {
    const failures = await this.ctx.storage.list<ItemFailure>({ prefix: 'fail:' })
    return this.summary([...failures.values()])
  }

  private summary(failures: ItemFailure[]): BatchView {
    const meta = this.meta as BatchMeta
    const state = this.state as BatchState
    return {
      id: meta.id,
      status: batchStatus(state),
      total: state.total,
      counts: { ...state.counts },
      costMicros: state.spentMicros,
      heldMicros: state.heldMicros,
      maxCostMicros: state.maxCostMicros,
      failures,
      createdAt: meta.life.createdAt,
      endedAt: meta.life.endedAt,
      expiresAt: expiresAt(meta.life),
    }
  }

  /** The ending's webhook while it has not been queued. */
  private pendingNotice(): WebhookMessage | null {
    const meta = this.meta
    const state = this.state
    if (!meta?.webhook || !state || meta.notified || meta.life.endedAt === null) return null
    return webhookMessage({
      subject: meta.id,
      type: state.cancelled ? 'image.batch.cancelled' : 'image.batch.completed',
      data: publicBatch(this.summary([]), false),
      url: meta.webhook.url,
      keyId: meta.webhook.keyId,
      now: meta.life.endedAt,
    })
  }
}
