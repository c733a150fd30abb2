/**
 * A batch's accounting as a pure state machine: each item's state, the counts by state, the money
 * spent and held against the batch's cap. Items start only while the batch runs, a paid start
 * holds its most possible cost first (so spent + held never passes the cap), and cancel is final.
 */

export const ITEM_STATES = [
  'queued',
  'in_progress',
  'completed',
  'failed',
  'skipped_cached',
  'cancelled_budget',
  'cancelled',
] as const
export type ItemState = (typeof ITEM_STATES)[number]

/** One letter per state: a batch's items are a string of them (1000 items, 1000 bytes). */
const LETTER: Record<ItemState, string> = {
  queued: 'q',
  in_progress: 'p',
  completed: 'c',
  failed: 'f',
  skipped_cached: 's',
  cancelled_budget: 'b',
  cancelled: 'x',
}
const STATE_OF = Object.fromEntries(ITEM_STATES.map((s) => [LETTER[s], s])) as Record<
  string,
  ItemState
>

/** The most items a batch holds. */
export const MAX_BATCH_ITEMS = 1000

export type BatchStatus = 'queued' | 'in_progress' | 'completed' | 'cancelled'

export interface BatchState {
  total: number
  items: string
  counts: Record<ItemState, number>
  /** The batch's cap (max_cost_usd) in micro-dollars; null for none. */
  maxCostMicros: number | null
  spentMicros: number
  /** What items in progress hold: the most each may cost. */
  heldMicros: number
  holds: Record<number, number>
  cancelled: boolean
}

/** How an item that ran ended. */
export type ItemResult =
  | { state: 'completed' | 'skipped_cached'; costMicros: number }
  | { state: 'failed'; code: string; message: string }
  | { state: 'cancelled_budget' }

export type StartDecision =
  /** Go ahead; `mayStart`: its estimate is held, so it may start a paid generation (else: hits and joins only). */
  { go: true; mayStart: boolean } | { go: false; reason: 'cancelled' | 'done' | 'no_such_item' }

export interface ItemFailure {
  index: number
  code: string
  message: string
}

export function newBatchState(total: number, maxCostMicros: number | null): BatchState {
  const counts = Object.fromEntries(ITEM_STATES.map((s) => [s, 0])) as Record<ItemState, number>
  counts.queued = total
  const items = LETTER.queued.repeat(total)
  return {
    total,
    items,
    counts,
    maxCostMicros,
    spentMicros: 0,
    heldMicros: 0,
    holds: {},
    cancelled: false,
  }
}

export const itemState = (state: BatchState, index: number): ItemState | null =>
  Number.isInteger(index) && index >= 0 && index < state.total
    ? (STATE_OF[state.items[index] as string] ?? null)
    : null

/** No item is waiting or running. */
export const ended = (state: BatchState) => state.counts.queued + state.counts.in_progress === 0

export function batchStatus(state: BatchState): BatchStatus {
  if (state.cancelled) return 'cancelled'
  if (ended(state)) return 'completed'
  return state.counts.queued === state.total ? 'queued' : 'in_progress'
}

function setItem(state: BatchState, index: number, next: ItemState): void {
  const current = itemState(state, index) as ItemState
  state.counts[current] -= 1
  state.counts[next] += 1
  state.items = state.items.slice(0, index) + LETTER[next] + state.items.slice(index + 1)
}

function dropHold(state: BatchState, index: number): number {
  const held = state.holds[index] ?? 0
  delete state.holds[index]
  state.heldMicros -= held
  return held
}

/** Item `index` is about to run, at most `estimateMicros` if it starts a generation. */
export function startItem(state: BatchState, index: number, estimateMicros: number): StartDecision {
  const current = itemState(state, index)
  if (current === null) return { go: false, reason: 'no_such_item' }
  if (current === 'in_progress') return { go: true, mayStart: index in state.holds }
  if (current !== 'queued')
    return { go: false, reason: current === 'cancelled' ? 'cancelled' : 'done' }
  const estimate = Math.max(0, Math.ceil(estimateMicros))
  const cap = state.maxCostMicros
  const fits = cap === null || state.spentMicros + state.heldMicros + estimate <= cap
  if (fits) {
    state.holds[index] = estimate
    state.heldMicros += estimate
  }
  setItem(state, index, 'in_progress')
  return { go: true, mayStart: fits }
}

/**
 * Item `index` ended with `result`: its hold is released and its cost (never more than it held)
 * spent. Only a running item ends; anything else (a repeat) changes nothing and returns false.
 */
export function finishItem(state: BatchState, index: number, result: ItemResult): boolean {
  if (itemState(state, index) !== 'in_progress') return false
  const held = dropHold(state, index)
  if (result.state === 'completed') {
    state.spentMicros += Math.min(held, Math.max(0, Math.round(result.costMicros)))
  }
  setItem(state, index, result.state)
  return true
}

/** A running item goes back to wait (to be tried again); after a cancel it is cancelled. */
export function releaseItem(state: BatchState, index: number): boolean {
  if (itemState(state, index) !== 'in_progress') return false
  dropHold(state, index)
  setItem(state, index, state.cancelled ? 'cancelled' : 'queued')
  return true
}

/** Cancels a batch that has not ended: waiting items are cancelled; running ones finish. */
export function cancelBatch(state: BatchState): boolean {
  if (state.cancelled || ended(state)) return false
  state.cancelled = true
  state.counts.cancelled += state.counts.queued
  state.counts.queued = 0
  state.items = state.items.replaceAll(LETTER.queued, LETTER.cancelled)
  return true
}

/** Every item still waiting or running fails with `code`: the batch ran out of time. */
export function expireBatch(state: BatchState, code: string, message: string): ItemFailure[] {
  const failures: ItemFailure[] = []
  let items = ''
  for (let index = 0; index < state.total; index++) {
    const letter = state.items[index] as string
    const open = letter === LETTER.queued || letter === LETTER.in_progress
    if (open) failures.push({ index, code, message })
    items += open ? LETTER.failed : letter
  }
  state.counts.failed += state.counts.queued + state.counts.in_progress
  state.counts.queued = 0
  state.counts.in_progress = 0
  state.items = items
  state.holds = {}
  state.heldMicros = 0
  return failures
}
