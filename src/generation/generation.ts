/**
 * One generation as its owner runs it: each upstream piece recorded as a unit (a spilled frame or
 * a stored image), handed to every live subscriber; joining costs a constant (the records, in R2).
 */

import type { StreamShape } from '../answer/renderers'
import type { ResultStore } from '../cache/store'
import type { ImageKind } from '../result/events'
import type { Piece } from '../result/pieces'
import type { ResultMeta, StoredImage } from '../result/result'
import type { ResultWriter } from './result-writer'
import { Subscriber } from './subscriber'
import type { SubscribedGeneration, SubscriberEvents } from './subscription'
import { frameUnit, type ImageUnit, type Outcome, type Started, type Unit } from './units'

/**
 * How long the owner waits for a live reader over its limit before it falls behind: long enough
 * for any reader at network speed to take a burst (a whole partial image arrives at once),
 * short enough that a stuck one holds the others back only briefly.
 */
export const DEFAULT_GRACE_MS = 1000
/**
 * A reader that has taken nothing written to it for this long is parked: nothing more is written
 * to it until it takes again. Writes are up to 256 KiB, so a reader slower than about 26 KB/s
 * may be parked between them; with the grace (1 s) instead, readers that were only slow (60
 * sharing a busy machine) were parked and resumed over a thousand times, reading the records
 * again each time, and never finished.
 */
export const STALLED_PARK_MS = 10_000
/**
 * A reader that has taken nothing for this long is gone: its answer is cut off, so it no longer
 * keeps the generation's records (a reader at 1 KB/s still takes a 256 KiB chunk within it).
 */
export const STALLED_CUT_MS = 5 * 60_000

export class Generation implements SubscribedGeneration<Subscriber> {
  readonly units: Unit[] = []
  outcome: Outcome | null = null
  upstream: Started | null = null
  private current: Unit | null = null
  private readonly subscribers = new Set<Subscriber>()
  private waiters: (() => void)[] = []
  private timer: ReturnType<typeof setInterval> | null = null
  private idle: (() => void) | null = null
  private wakeDrained: (() => void) | null = null

  constructor(
    readonly store: ResultStore,
    readonly meta: ResultMeta,
    private readonly writer: ResultWriter,
    private readonly keepAliveMs: number,
    private readonly graceMs = DEFAULT_GRACE_MS,
    /** Names the events of rebuilt completed events (a generation's, or an edit's). */
    readonly kind: ImageKind = 'generation',
    /** Who watches its subscribers (tests): production passes none. */
    readonly events: SubscriberEvents<Subscriber> = {},
  ) {
    const every = Math.min(Math.floor(keepAliveMs / 3), STALLED_PARK_MS / 10)
    this.timer = setInterval(() => this.tend(Date.now()), Math.max(10, every))
  }

  get started(): boolean {
    return this.upstream !== null
  }

  /** True once it waits for an upstream's capacity: stream answers begin (keep-alives flow). */
  answering = false
  queued(): void {
    this.answering = true
    for (const subscriber of this.subscribers) subscriber.onStarted()
  }

  /** A new streaming answer (SSE or base64 JSON) on this generation. */
  subscribe(shape: StreamShape, origin: string): Subscriber {
    const subscriber = new Subscriber(this, shape, origin)
    this.subscribers.add(subscriber)
    subscriber.start()
    return subscriber
  }

  /** The upstream accepted the request. */
  start(started: Started): void {
    this.upstream = started
    for (const subscriber of this.subscribers) subscriber.onStarted()
  }

  /** A piece from the upstream: recorded, stored, and handed to every live subscriber. */
  publish(piece: Piece): void {
    const unit = this.record(piece)
    const ended = piece.kind === 'frame-end' || piece.kind === 'image-end'
    if (ended && unit) {
      unit.ended = true
      this.current = null
    }
    for (const subscriber of this.subscribers) subscriber.onPiece(piece, unit)
    if (ended) this.notify()
  }

  finish(outcome: Outcome): void {
    this.outcome = outcome
    for (const subscriber of this.subscribers) {
      if (outcome.kind === 'cached') subscriber.settle({ kind: 'cached' })
      else subscriber.onOutcome(outcome)
    }
    this.notify()
    this.checkIdle()
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /**
   * Null when every live subscriber is within its limit; else resolves once they are, or once
   * those still over it after their grace have fallen behind. The upstream is read no faster.
   */
  ready(): Promise<void> | null {
    return this.anyOver() ? this.waitDrained() : null
  }

  drained(): void {
    const wake = this.wakeDrained
    this.wakeDrained = null
    wake?.()
  }

  detach(subscriber: Subscriber): void {
    if (this.subscribers.delete(subscriber)) this.events.left?.(subscriber)
    this.drained()
    this.checkIdle()
  }

  /** Calls `then` once the generation has ended and its last subscriber is gone. */
  whenIdle(then: () => void): void {
    this.idle = then
    this.checkIdle()
  }

  /** The first image, once stored; null when the generation ends without one. */
  async firstImage(): Promise<StoredImage | null> {
    for (;;) {
      const image = this.units.find((unit): unit is ImageUnit => unit.kind === 'image')
      if (image) return image.stored
      if (this.outcome) return null
      await this.changed()
    }
  }

  /** Every image, once the generation is done. */
  async images(): Promise<StoredImage[]> {
    while (!this.outcome) await this.changed()
    const images = this.units.filter((unit): unit is ImageUnit => unit.kind === 'image')
    return Promise.all(images.map((unit) => unit.stored))
  }

  private record(piece: Piece): Unit | null {
    const seq = this.units.length
    switch (piece.kind) {
      case 'frame-begin': {
        this.current = frameUnit(seq, piece.event, this.writer.beginFrame(seq))
        this.units.push(this.current)
        return this.current
      }
      case 'frame-bytes':
        this.writer.frameBytes(piece.bytes)
        return this.current
      case 'frame-end':
        this.writer.endFrame()
        return this.current
      case 'image-begin': {
        const stored = this.writer.beginImage()
        const framing = {
          kind: this.kind,
          index: piece.index,
          prefix: piece.prefix,
          suffix: null,
          payload: null,
        }
        const unit: ImageUnit = {
          seq,
          kind: 'image',
          framing,
          ended: false,
          stored,
          base64Length: 0,
          resumable: true,
        }
        this.current = unit
        this.units.push(unit)
        return unit
      }
      case 'base64': {
        const unit = this.current as ImageUnit
        unit.base64Length += piece.bytes.length
        this.writer.base64(piece.bytes)
        return unit
      }
      case 'image-end': {
        const unit = this.current as ImageUnit
        unit.framing.suffix = piece.suffix
        unit.framing.payload = piece.payload
        const plain = this.writer.endImage(piece.payload)
        unit.resumable = plain && unit.base64Length % 4 === 0
        return unit
      }
      case 'meta':
        this.writer.meta(piece.meta)
        return null
    }
  }

  private anyOver(): boolean {
    for (const subscriber of this.subscribers) if (subscriber.overSince !== null) return true
    return false
  }

  private async waitDrained(): Promise<void> {
    for (;;) {
      let due = Number.POSITIVE_INFINITY
      const now = Date.now()
      for (const subscriber of this.subscribers) {
        if (subscriber.overSince === null) continue
        if (subscriber.overSince + this.graceMs <= now) subscriber.fallBehind()
        else due = Math.min(due, subscriber.overSince + this.graceMs)
      }
      if (due === Number.POSITIVE_INFINITY) return
      let timer: ReturnType<typeof setTimeout> | undefined
      await new Promise<void>((resolve) => {
        this.wakeDrained = resolve
        timer = setTimeout(resolve, due - now)
      })
      if (timer !== undefined) clearTimeout(timer)
    }
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter()
  }

  /**
   * What the timer does (tests call it with the time they mean): keep-alive comments, and readers
   * that took nothing parked after STALLED_PARK_MS, or cut off after STALLED_CUT_MS.
   */
  tend(now: number): void {
    for (const subscriber of this.subscribers) {
      subscriber.watch(now, STALLED_PARK_MS, STALLED_CUT_MS)
      if (!this.outcome) subscriber.keepAlive(now, this.keepAliveMs)
    }
  }

  private checkIdle(): void {
    if (!this.outcome || this.subscribers.size > 0) return
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    const idle = this.idle
    this.idle = null
    idle?.()
  }
}
