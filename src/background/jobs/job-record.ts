/**
 * One async job's record (`Prefer: respond-async`), a Durable Object named by its id: status,
 * where its answer is stored, its failure, and its events for SSE readers, who can wait here for
 * the next one and resume after a Last-Event-ID. Only the key that made it reads it. Deleted by its
 * alarm a keep time after it ends; failed if it has not ended by its deadline.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Failure } from '../../failure'
import type { ImageKind } from '../../result/events'
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
  appendEvent,
  checkedEvent,
  type EventLog,
  type EventPage,
  eventsAfter,
  newEventLog,
} from './job-events'
import {
  type JobInit,
  type JobResponseFormat,
  type JobResultRef,
  type JobStatus,
  type JobView,
  publicJob,
} from './job-view'

/** SSE readers waiting on one job at once; more are answered at once and poll again. */
export const MAX_WAITERS = 32

interface JobMeta {
  id: string
  ownerKeyId: string
  kind: ImageKind
  responseFormat: JobResponseFormat
  /** Absent in records made before it was kept: false. */
  stream?: boolean
  webhook: WebhookTarget | null
  notified: boolean
  status: JobStatus
  result: JobResultRef | null
  failure: Failure | null
  life: Lifetime
}

/** What a change did, and the webhook to queue (then call notified()) once the job has ended. */
export interface JobChange {
  changed: boolean
  notify: WebhookMessage | null
}

const ENDED: readonly JobStatus[] = ['completed', 'failed']

export class JobRecord extends DurableObject<Env> {
  private meta: JobMeta | null = null
  private log: EventLog = newEventLog()
  private waiters: (() => void)[] = []
  /** The alarm last set (ms), so a save sets it only when it moves. */
  private alarmAt: number | null = null

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.blockConcurrencyWhile(async () => {
      this.meta = (await ctx.storage.get<JobMeta>('meta')) ?? null
      this.log = (await ctx.storage.get<EventLog>('log')) ?? newEventLog()
    })
  }

  /** Creates the record (its first event: `job.queued`); again for the same owner, the same. */
  async create(init: JobInit): Promise<Created<JobView>> {
    if (this.meta) {
      if (this.meta.ownerKeyId !== init.ownerKeyId) return { ok: false, error: 'exists' }
      return { ok: true, view: this.currentView() }
    }
    const life = lifetime(init, RECORD_TIMES.jobRunSeconds, RECORD_TIMES.jobKeepSeconds)
    if (typeof life === 'string') return { ok: false, error: life }
    this.meta = {
      id: init.id,
      ownerKeyId: init.ownerKeyId,
      kind: init.kind,
      responseFormat: init.responseFormat,
      stream: init.stream ?? false,
      webhook: init.webhook,
      notified: false,
      status: 'queued',
      result: null,
      failure: null,
      life,
    }
    this.append('job.queued', { status: 'queued' }, life.createdAt)
    return { ok: true, view: this.currentView() }
  }

  async view(requester: string): Promise<JobView | null> {
    return this.meta?.ownerKeyId === requester ? this.currentView() : null
  }

  /** The runner began: queued becomes in_progress. */
  async start(): Promise<JobChange> {
    if (this.meta?.status !== 'queued') return { changed: false, notify: null }
    this.meta.status = 'in_progress'
    this.append('job.in_progress', { status: 'in_progress' })
    return { changed: true, notify: null }
  }

  /** A progress event (a partial picture's reference); false once the job has ended. */
  async progress(type: string, data: unknown): Promise<boolean> {
    if (!this.meta || ENDED.includes(this.meta.status)) return false
    this.append(type, data)
    return true
  }

  async complete(result: JobResultRef): Promise<JobChange> {
    return this.end('completed', result, null)
  }

  async fail(failure: Failure): Promise<JobChange> {
    return this.end('failed', null, failure)
  }

  /** The ending's webhook was queued: it is not handed out again. */
  async notified(): Promise<void> {
    if (!this.meta) return
    this.meta.notified = true
    this.ctx.storage.put('meta', this.meta)
  }

  /** The owner's events after `after`; null as in view(). */
  async events(requester: string, after: number | null): Promise<EventPage | null> {
    if (this.meta?.ownerKeyId !== requester) return null
    return eventsAfter(this.log, after, ENDED.includes(this.meta.status))
  }

  /**
   * As events(), but when there is none yet and the job runs, waits up to `timeoutMs` for the next
   * (an SSE route calls this in a loop, writing what it gets).
   */
  async waitForEvents(
    requester: string,
    after: number | null,
    timeoutMs: number,
  ): Promise<EventPage | null> {
    const page = await this.events(requester, after)
    if (!page || page.events.length > 0 || page.ended || page.gap) return page
    if (this.waiters.length >= MAX_WAITERS || timeoutMs <= 0) return page
    await new Promise<void>((resolve) => {
      const timer = setTimeout(wake, timeoutMs)
      const waiters = this.waiters
      function wake() {
        clearTimeout(timer)
        const at = waiters.indexOf(wake)
        if (at >= 0) waiters.splice(at, 1)
        resolve()
      }
      waiters.push(wake)
    })
    return this.events(requester, after)
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null
    if (!this.meta) return
    const now = Date.now()
    const expiry = expiresAt(this.meta.life)
    if (expiry !== null && now >= expiry) {
      await this.ctx.storage.deleteAlarm()
      await this.ctx.storage.deleteAll()
      this.meta = null
      this.log = newEventLog()
      this.wake()
      return
    }
    if (!ENDED.includes(this.meta.status) && now >= this.meta.life.runDeadline) {
      await this.end('failed', null, { kind: 'upstream_unavailable', cause: 'timeout' }, now)
      return
    }
    this.setAlarm(nextAlarm(this.meta.life))
  }

  private async end(
    status: 'completed' | 'failed',
    result: JobResultRef | null,
    failure: Failure | null,
    now = Date.now(),
  ): Promise<JobChange> {
    if (!this.meta) return { changed: false, notify: null }
    if (ENDED.includes(this.meta.status)) return { changed: false, notify: this.pendingNotice() }
    Object.assign(this.meta, { status, result, failure })
    this.meta.life.endedAt = now
    const view = this.currentView()
    this.append(`job.${status}`, publicJob(view), now)
    return { changed: true, notify: this.pendingNotice() }
  }

  /** Appends an event, saves the record, and wakes the waiting readers. */
  private append(type: string, data: unknown, now = Date.now()): void {
    if (!this.meta) return
    appendEvent(this.log, checkedEvent(type, data), now)
    this.ctx.storage.put({ meta: this.meta, log: this.log })
    this.setAlarm(nextAlarm(this.meta.life))
    this.wake()
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake()
  }

  private setAlarm(at: number): void {
    if (at === this.alarmAt) return
    this.alarmAt = at
    this.ctx.storage.setAlarm(at)
  }

  private currentView(): JobView {
    const meta = this.meta as JobMeta
    return {
      id: meta.id,
      status: meta.status,
      kind: meta.kind,
      responseFormat: meta.responseFormat,
      stream: meta.stream ?? false,
      result: meta.result,
      failure: meta.failure,
      createdAt: meta.life.createdAt,
      endedAt: meta.life.endedAt,
      expiresAt: expiresAt(meta.life),
      lastEventId: this.log.nextId - 1,
    }
  }

  private pendingNotice(): WebhookMessage | null {
    const meta = this.meta
    if (!meta?.webhook || meta.notified || meta.life.endedAt === null) return null
    return webhookMessage({
      subject: meta.id,
      type: meta.status === 'completed' ? 'image.job.completed' : 'image.job.failed',
      data: publicJob(this.currentView()),
      url: meta.webhook.url,
      keyId: meta.webhook.keyId,
      now: meta.life.endedAt,
    })
  }
}
