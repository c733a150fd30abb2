/**
 * The batch state machine, by example and as a property over any sequence of consumer and owner
 * actions: counts always sum to the total and match the items, the cap is never passed (spent
 * plus held), an ended item never changes, and cancel is final (nothing starts after it).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type BatchState,
  batchStatus,
  cancelBatch,
  ended,
  expireBatch,
  finishItem,
  ITEM_STATES,
  type ItemResult,
  itemState,
  newBatchState,
  releaseItem,
  startItem,
} from '../../src/background/batches/batch-state'

const OPEN = new Set(['queued', 'in_progress'])

describe('a batch', () => {
  it('runs items, spends what they cost, and completes', () => {
    const state = newBatchState(3, null)
    expect(batchStatus(state)).toBe('queued')
    expect(startItem(state, 0, 40)).toEqual({ go: true, mayStart: true })
    expect(batchStatus(state)).toBe('in_progress')
    expect(finishItem(state, 0, { state: 'completed', costMicros: 30 })).toBe(true)
    startItem(state, 1, 40)
    finishItem(state, 1, { state: 'skipped_cached', costMicros: 0 })
    startItem(state, 2, 40)
    finishItem(state, 2, { state: 'failed', code: 'moderation_blocked', message: 'no' })
    expect(batchStatus(state)).toBe('completed')
    expect(state.counts).toMatchObject({ completed: 1, skipped_cached: 1, failed: 1, queued: 0 })
    expect(state.spentMicros).toBe(30)
    expect(state.heldMicros).toBe(0)
  })

  it('lets an item start a paid generation only while the cap holds its estimate', () => {
    const state = newBatchState(3, 100)
    expect(startItem(state, 0, 60)).toEqual({ go: true, mayStart: true })
    expect(startItem(state, 1, 60)).toEqual({ go: true, mayStart: false })
    finishItem(state, 0, { state: 'completed', costMicros: 20 })
    expect(startItem(state, 2, 60)).toEqual({ go: true, mayStart: true })
    expect(state.spentMicros + state.heldMicros).toBe(80)
  })

  it('never spends more than an item held', () => {
    const state = newBatchState(1, 100)
    startItem(state, 0, 50)
    finishItem(state, 0, { state: 'completed', costMicros: 80 })
    expect(state.spentMicros).toBe(50)
  })

  it('answers a redelivered item: still running goes again, an ended one does not', () => {
    const state = newBatchState(2, null)
    startItem(state, 0, 10)
    expect(startItem(state, 0, 10)).toEqual({ go: true, mayStart: true })
    expect(state.heldMicros).toBe(10)
    finishItem(state, 0, { state: 'completed', costMicros: 10 })
    expect(startItem(state, 0, 10)).toEqual({ go: false, reason: 'done' })
    expect(finishItem(state, 0, { state: 'failed', code: 'x', message: 'x' })).toBe(false)
    expect(startItem(state, 2, 10)).toEqual({ go: false, reason: 'no_such_item' })
    expect(startItem(state, -1, 10)).toEqual({ go: false, reason: 'no_such_item' })
    expect(startItem(state, 0.5, 10)).toEqual({ go: false, reason: 'no_such_item' })
  })

  it('cancels waiting items; running ones finish; a released one is cancelled; nothing starts', () => {
    const state = newBatchState(4, null)
    startItem(state, 0, 10)
    startItem(state, 1, 10)
    expect(cancelBatch(state)).toBe(true)
    expect(state.counts).toMatchObject({ cancelled: 2, in_progress: 2 })
    expect(startItem(state, 2, 10)).toEqual({ go: false, reason: 'cancelled' })
    finishItem(state, 0, { state: 'completed', costMicros: 5 })
    releaseItem(state, 1)
    expect(state.counts).toMatchObject({ cancelled: 3, completed: 1 })
    expect(ended(state)).toBe(true)
    expect(batchStatus(state)).toBe('cancelled')
    expect(cancelBatch(state)).toBe(false)
  })

  it('cannot be cancelled once it has ended', () => {
    const state = newBatchState(1, null)
    startItem(state, 0, 1)
    finishItem(state, 0, { state: 'completed', costMicros: 1 })
    expect(cancelBatch(state)).toBe(false)
    expect(batchStatus(state)).toBe('completed')
  })

  it('fails every open item when it expires', () => {
    const state = newBatchState(3, 100)
    startItem(state, 0, 30)
    startItem(state, 1, 30)
    finishItem(state, 1, { state: 'completed', costMicros: 30 })
    const failures = expireBatch(state, 'expired', 'late')
    expect(failures.map((f) => f.index)).toEqual([0, 2])
    expect(state.counts).toMatchObject({ failed: 2, completed: 1, queued: 0, in_progress: 0 })
    expect(state.heldMicros).toBe(0)
    expect(state.items).toBe('fcf')
  })
})

type Action =
  | { kind: 'start'; index: number; estimate: number }
  | { kind: 'finish'; index: number; result: ItemResult }
  | { kind: 'release'; index: number }
  | { kind: 'cancel' }
  | { kind: 'expire' }

const index = fc.nat({ max: 12 })
const result: fc.Arbitrary<ItemResult> = fc.oneof(
  fc.record({
    state: fc.constant('completed' as const),
    costMicros: fc.integer({ min: -5, max: 400 }),
  }),
  fc.record({ state: fc.constant('skipped_cached' as const), costMicros: fc.nat(50) }),
  fc.constant({ state: 'failed' as const, code: 'server_error', message: 'm' }),
  fc.constant({ state: 'cancelled_budget' as const }),
)
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('start' as const), index, estimate: fc.nat(300) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('finish' as const), index, result }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), index }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
)

function apply(state: BatchState, step: Action) {
  switch (step.kind) {
    case 'start':
      return startItem(state, step.index, step.estimate)
    case 'finish':
      return finishItem(state, step.index, step.result)
    case 'release':
      return releaseItem(state, step.index)
    case 'cancel':
      return cancelBatch(state)
    case 'expire':
      return expireBatch(state, 'expired', 'late')
  }
}

describe('the batch state machine, for any sequence of actions', () => {
  it('keeps its counts, its cap, its ended items and its cancel', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.option(fc.nat(600), { nil: null }),
        fc.array(action, { maxLength: 60 }),
        (total, cap, actions) => {
          const state = newBatchState(total, cap)
          let wasCancelled = false
          for (const step of actions) {
            const before = Array.from({ length: total }, (_, i) => itemState(state, i))
            const outcome = apply(state, step)

            const after = Array.from({ length: total }, (_, i) => itemState(state, i))
            const counted: Record<string, number> = Object.fromEntries(
              ITEM_STATES.map((s) => [s, 0]),
            )
            for (const s of after) counted[s as string] = (counted[s as string] ?? 0) + 1
            expect(state.counts).toEqual(counted)
            expect(Object.values(state.counts).reduce((a, b) => a + b, 0)).toBe(total)
            expect(state.items).toHaveLength(total)

            const holds = Object.values(state.holds).reduce((a, b) => a + b, 0)
            expect(state.heldMicros).toBe(holds)
            for (const held of Object.keys(state.holds)) {
              expect(after[Number(held)]).toBe('in_progress')
            }
            if (cap !== null) expect(state.spentMicros + state.heldMicros).toBeLessThanOrEqual(cap)
            expect(state.spentMicros).toBeGreaterThanOrEqual(0)

            for (let i = 0; i < total; i++) {
              if (!OPEN.has(before[i] as string)) expect(after[i]).toBe(before[i])
              if (wasCancelled) expect(after[i]).not.toBe('queued')
              if (wasCancelled && before[i] !== 'in_progress') expect(after[i]).toBe(before[i])
            }
            if (wasCancelled) {
              expect(batchStatus(state)).toBe('cancelled')
              if (step.kind === 'start')
                expect(outcome).toMatchObject({ go: before[step.index] === 'in_progress' })
            }
            wasCancelled = state.cancelled
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
