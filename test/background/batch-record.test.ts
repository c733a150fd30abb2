/**
 * BatchRecord, the Durable Object: only its owner reads or cancels it; items start, end and are
 * counted as in the state machine, failures kept with their codes; the ending's webhook is handed
 * back until queued; the alarm fails what is open at the deadline and deletes the record after
 * its keep time. And the persisted machine matches the pure one over random actions.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { BatchRecord } from '../../src/background/batches/batch-record'
import { finishItem, newBatchState, startItem } from '../../src/background/batches/batch-state'
import { type BatchInit, publicBatch } from '../../src/background/batches/batch-view'
import { newRecordId } from '../../src/background/records'

const OWNER = 'key_owner'
const HOOK = { url: 'https://hooks.example.com/b', keyId: OWNER }

afterEach(() => {
  vi.useRealTimers()
})

function batch(overrides: Partial<BatchInit> = {}) {
  const id = overrides.id ?? newRecordId('batch')
  const stub = env.BATCHES.get(env.BATCHES.idFromName(id))
  const init: BatchInit = {
    id,
    ownerKeyId: OWNER,
    total: 3,
    maxCostMicros: null,
    webhook: null,
    ...overrides,
  }
  return { id, stub, init }
}

describe('a batch record', () => {
  it('is seen and cancelled only by the key that made it', async () => {
    const { stub, init } = batch()
    const created = await stub.create(init)
    expect(created).toMatchObject({
      ok: true,
      view: { id: init.id, status: 'queued', total: 3, costMicros: 0 },
    })
    expect(await stub.view('key_other')).toBeNull()
    expect(await stub.cancel('key_other')).toBeNull()
    expect(await stub.view(OWNER)).toEqual(created.ok && created.view)
    expect(await stub.create({ ...init, ownerKeyId: 'key_other' })).toEqual({
      ok: false,
      error: 'exists',
    })
    expect(await stub.create(init)).toEqual(created)
  })

  it('does not exist until made', async () => {
    const { stub } = batch()
    expect(await stub.view(OWNER)).toBeNull()
    expect(await stub.start(0, 1)).toEqual({ go: false, reason: 'no_such_item', notify: null })
  })

  it.each([0, 1001, 2.5])('refuses a batch of %s items', async (total) => {
    const { stub, init } = batch({ total })
    expect(await stub.create(init)).toEqual({ ok: false, error: 'a batch holds 1 to 1000 items' })
    expect(await stub.view(OWNER)).toBeNull()
  })

  it.each([
    { maxCostMicros: -1 },
    { maxCostMicros: 0.5 },
    { keepSeconds: 0 },
    { runSeconds: 400 * 86_400 },
  ])('refuses %o', async (overrides) => {
    const { stub, init } = batch(overrides)
    expect(await stub.create(init)).toMatchObject({ ok: false })
  })

  it('counts items as they end, keeps failures with their codes, and costs against the cap', async () => {
    const { stub, init } = batch({ total: 4, maxCostMicros: 100_000 })
    await stub.create(init)
    expect(await stub.start(0, 60_000)).toEqual({ go: true, mayStart: true })
    expect(await stub.start(1, 60_000)).toEqual({ go: true, mayStart: false })
    await stub.finish(0, { state: 'completed', costMicros: 42_000 })
    await stub.finish(1, { state: 'cancelled_budget' })
    await stub.start(2, 10)
    const long = 'x'.repeat(1000)
    await stub.finish(2, { state: 'failed', code: 'moderation_blocked', message: long })
    const view = await stub.view(OWNER)
    expect(view).toMatchObject({
      status: 'in_progress',
      costMicros: 42_000,
      heldMicros: 0,
      maxCostMicros: 100_000,
      counts: { completed: 1, cancelled_budget: 1, failed: 1, queued: 1, in_progress: 0 },
      failures: [{ index: 2, code: 'moderation_blocked', message: 'x'.repeat(300) }],
      endedAt: null,
      expiresAt: null,
    })
    expect(publicBatch(view as NonNullable<typeof view>)).toMatchObject({
      object: 'image.batch',
      cost_usd: 0.042,
      max_cost_usd: 0.1,
    })
  })

  it('hands back the ending webhook once the last item ends, until told it was queued', async () => {
    const { stub, init } = batch({ total: 2, webhook: HOOK })
    await stub.create(init)
    await stub.start(0, 0)
    await stub.start(1, 0)
    expect((await stub.finish(0, { state: 'skipped_cached', costMicros: 0 })).notify).toBeNull()
    const last = await stub.finish(1, { state: 'completed', costMicros: 0 })
    expect(last.changed).toBe(true)
    expect(last.notify).toMatchObject({
      kind: 'webhook',
      id: `msg_${init.id}_image_batch_completed`,
      url: HOOK.url,
      keyId: OWNER,
      type: 'image.batch.completed',
    })
    const event = JSON.parse(last.notify?.body ?? '{}')
    expect(event.data).toMatchObject({ id: init.id, status: 'completed', total: 2 })
    expect(event.data).not.toHaveProperty('failures')
    // A redelivered item ends nothing new, but the webhook is still owed.
    const again = await stub.finish(1, { state: 'completed', costMicros: 0 })
    expect(again).toEqual({ changed: false, notify: last.notify })
    await stub.notified()
    expect((await stub.finish(1, { state: 'completed', costMicros: 0 })).notify).toBeNull()
    expect((await stub.view(OWNER))?.status).toBe('completed')
  })

  it('is cancelled for good: waiting items cancelled, running ones end, then the webhook', async () => {
    const { stub, init } = batch({ total: 3, webhook: HOOK })
    await stub.create(init)
    await stub.start(0, 5)
    const cancelled = await stub.cancel(OWNER)
    expect(cancelled).toMatchObject({ changed: true, notify: null, view: { status: 'cancelled' } })
    expect(cancelled?.view.counts).toMatchObject({ cancelled: 2, in_progress: 1 })
    expect(await stub.start(1, 5)).toEqual({ go: false, reason: 'cancelled', notify: null })
    const end = await stub.finish(0, { state: 'completed', costMicros: 5 })
    expect(end.notify?.type).toBe('image.batch.cancelled')
    expect((await stub.cancel(OWNER))?.changed).toBe(false)
    expect((await stub.view(OWNER))?.status).toBe('cancelled')
  })

  it('fails what is still open at its deadline, then is deleted after its keep time', async () => {
    const { stub, init } = batch({ total: 2, runSeconds: 60, keepSeconds: 3600 })
    await stub.create(init)
    await stub.start(0, 5)
    await runInDurableObject(stub, async (_: BatchRecord, state) => {
      expect(await state.storage.getAlarm()).toBeGreaterThan(Date.now() + 59_000)
    })
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const view = await stub.view(OWNER)
    expect(view).toMatchObject({
      status: 'completed',
      counts: { failed: 2 },
      failures: [
        { index: 0, code: 'expired' },
        { index: 1, code: 'expired' },
      ],
      expiresAt: Date.now() + 3_600_000,
    })
    vi.setSystemTime(Date.now() + 3_600_000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await stub.view(OWNER)).toBeNull()
    await runInDurableObject(stub, async (_: BatchRecord, state) => {
      expect((await state.storage.list()).size).toBe(0)
      expect(await state.storage.getAlarm()).toBeNull()
    })
  })

  it('keeps its state across an eviction, as the pure machine would have it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            index: fc.nat(4),
            estimate: fc.nat(50),
            cost: fc.nat(60),
            finish: fc.boolean(),
          }),
          { maxLength: 10 },
        ),
        async (steps) => {
          const { stub, init } = batch({ total: 5, maxCostMicros: 100 })
          await stub.create(init)
          const model = newBatchState(5, 100)
          for (const step of steps) {
            if (step.finish) {
              const result = { state: 'completed' as const, costMicros: step.cost }
              finishItem(model, step.index, result)
              await stub.finish(step.index, result)
            } else {
              expect(await stub.start(step.index, step.estimate)).toMatchObject(
                startItem(model, step.index, step.estimate),
              )
            }
          }
          await evictDurableObject(stub)
          const view = await stub.view(OWNER)
          expect(view?.counts).toEqual(model.counts)
          expect([view?.costMicros, view?.heldMicros]).toEqual([
            model.spentMicros,
            model.heldMicros,
          ])
          await runInDurableObject(stub, async (_: BatchRecord, state) => {
            expect(await state.storage.get('state')).toEqual(model)
          })
        },
      ),
      { numRuns: 10 },
    )
  })
})
