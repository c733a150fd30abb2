/**
 * What the gateway core needs from around a request, given explicitly instead of Hono's Context,
 * so the core runs (and is tested) without Hono.
 */
import type { Bindings } from '../env'
import type { RequestNotes } from '../log/request-notes'
import type { Principal } from '../principal'
import type { Settings } from '../settings'

/** Where a request's time went, for its Server-Timing header. */
export interface TimingRecorder {
  start(name: string, description: string): void
  end(name: string): void
  /** A duration measured elsewhere (the owner's call to the upstream). */
  metric(name: string, ms: number, description: string): void
}

export interface GatewayContext {
  readonly settings: Settings
  readonly env: Bindings
  readonly principal: Principal
  /** The gateway's own origin (`https://host`), which prefixes image URLs. */
  readonly origin: string
  /** Keeps background work (R2 deletes, edge cache writes, hit counts) alive past the answer. */
  readonly waitUntil: (work: Promise<unknown>) => void
  readonly timing: TimingRecorder
  /** The request's log row as the core learns it; unset: the request is not logged. */
  readonly log?: RequestNotes
}

/** A recorder that records nothing. */
export const NO_TIMING: TimingRecorder = { start() {}, end() {}, metric() {} }
