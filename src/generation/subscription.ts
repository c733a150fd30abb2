/**
 * What a subscriber knows of the generation it waits on, and how its answer begins (the head the
 * owner waits for before handing the body to the worker).
 */
import type { ImageReader } from '../answer/stored-image'
import type { Failure } from '../failure'
import type { ResultMeta, StoredImage } from '../result/result'
import type { Outcome, Unit } from './units'

/** How a subscriber's answer begins: with bytes, or as a cached result or a failure instead. */
export type Head =
  | { kind: 'answer'; firstImage: StoredImage | null }
  | { kind: 'failed'; failure: Failure }
  | { kind: 'cached' }

/**
 * What a generation's subscribers tell whoever watches them. Production watches none: tests see
 * through it how each answer was paced, without counters in the classes.
 */
export interface SubscriberEvents<Subscriber = unknown> {
  /** Its reader took too little for too long: it catches up from the records. */
  fellBehind?(subscriber: Subscriber): void
  /** Its reader took nothing for a while: nothing more is written to it until it takes again. */
  parked?(subscriber: Subscriber): void
  /** `bytes` went into its client's pipe. */
  wrote?(subscriber: Subscriber, bytes: number): void
  /** It left the generation (its answer ended, or its reader went). */
  left?(subscriber: Subscriber): void
}

/** What a subscriber reads of the generation it waits on. */
export interface SubscribedGeneration<Subscriber = unknown> {
  /** Who watches its subscribers, if anyone. */
  readonly events?: SubscriberEvents<Subscriber>
  readonly units: readonly Unit[]
  readonly outcome: Outcome | null
  readonly started: boolean
  /** Answers may begin before the upstream's (it waits for capacity; keep-alives flow). */
  readonly answering?: boolean
  /** Where its images are read back from. */
  readonly store: ImageReader
  /** What the request asked for: describes rebuilt completed events. */
  readonly meta: ResultMeta
  /** Resolves at the next change (a unit ended, the generation ended). */
  changed(): Promise<void>
  /** A live subscriber that was over its limit is back under it (or gone). */
  drained(): void
  detach(subscriber: Subscriber): void
}
