/**
 * JobRecord, the Durable Object of an async request: only its owner reads it; it goes queued, in
 * progress, then completed (with where its answer is stored) or failed (with the failure); its
 * events wait for and wake SSE readers and resume after a Last-Event-ID; its ending webhook is
 * handed back until queued; the alarm fails it at its deadline and deletes it after its keep time.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { JobRecord } from '../../src/background/jobs/job-record'
import { MAX_WAITERS } from '../../src/background/jobs/job-record'
import { type JobInit, publicJob } from '../../src/background/jobs/job-view'
import { newRecordId } from '../../src/background/records'

const OWNER = 'key_owner'
const HOOK = { url: 'https://hooks.example.com/j', keyId: OWNER }

afterEach(() => {
  vi.useRealTimers()
})

async function job(overrides: Partial<JobInit> = {}) {
  const id = newRecordId('job')
  const stub = env.JOBS.get(env.JOBS.idFromName(id))
  const init: JobInit = {
    id,
    ownerKeyId: OWNER,
    kind: 'generation',
    responseFormat: 'url',
    webhook: null,
    ...overrides,
  }
  const created = await stub.create(init)
  if (!created.ok) throw new Error(created.error)
  return { id, stub, init, created: created.view }
}

describe('a job record', () => {
  it('is seen only by the key that made it', async () => {
    const { stub, init, created } = await job()
    expect(created).toMatchObject({ status: 'queued', kind: 'generation', lastEventId: 1 })
    expect(await stub.view('key_other')).toBeNull()
    expect(await stub.events('key_other', null)).toBeNull()
    expect(await stub.waitForEvents('key_other', 1, 1000)).toBeNull()
    expect(await stub.view(OWNER)).toEqual(created)
    expect(await stub.create({ ...init, ownerKeyId: 'key_other' })).toEqual({
      ok: false,
      error: 'exists',
    })
    expect(await stub.create(init)).toEqual({ ok: true, view: created })
  })

  it('runs, completes with its stored answer, and tells its events in order', async () => {
    const { stub } = await job()
    expect(await stub.start()).toEqual({ changed: true, notify: null })
    expect(await stub.start()).toEqual({ changed: false, notify: null })
    expect(await stub.progress('image_generation.partial_image', { index: 0, url: '/p0' })).toBe(
      true,
    )
    const done = await stub.complete({ cacheKey: 'v1-abc' })
    expect(done).toEqual({ changed: true, notify: null })
    expect(await stub.fail({ kind: 'internal' })).toEqual({ changed: false, notify: null })
    expect(await stub.progress('image_generation.partial_image', {})).toBe(false)
    const view = await stub.view(OWNER)
    expect(view).toMatchObject({
      status: 'completed',
      result: { cacheKey: 'v1-abc' },
      failure: null,
      lastEventId: 4,
    })
    const page = await stub.events(OWNER, null)
    expect(page?.ended).toBe(true)
    expect(page?.events.map((e) => [e.id, e.type])).toEqual([
      [1, 'job.queued'],
      [2, 'job.in_progress'],
      [3, 'image_generation.partial_image'],
      [4, 'job.completed'],
    ])
    expect(JSON.parse(page?.events[2]?.data ?? '')).toEqual({ index: 0, url: '/p0' })
    expect(JSON.parse(page?.events[3]?.data ?? '')).toMatchObject({
      object: 'image.job',
      status: 'completed',
    })
    expect((await stub.events(OWNER, 2))?.events.map((e) => e.id)).toEqual([3, 4])
  })

  it('fails with its failure, as the client would have seen it, and announces it', async () => {
    const { id, stub } = await job({ webhook: HOOK })
    const failure = { kind: 'upstream_unavailable', cause: 'network' } as const
    const failed = await stub.fail(failure)
    expect(failed.notify).toMatchObject({
      id: `msg_${id}_image_job_failed`,
      type: 'image.job.failed',
    })
    const event = JSON.parse(failed.notify?.body ?? '')
    expect(event.data).toMatchObject({
      id,
      status: 'failed',
      error: { code: 'upstream_unavailable' },
    })
    const view = await stub.view(OWNER)
    expect(view?.failure).toEqual(failure)
    expect(publicJob(view as NonNullable<typeof view>)).not.toHaveProperty('result')
    // Still owed until queued.
    expect((await stub.fail(failure)).notify?.id).toBe(failed.notify?.id)
    await stub.notified()
    expect((await stub.fail(failure)).notify).toBeNull()
  })

  it('wakes a waiting reader with the next event, and answers at once when there is one', async () => {
    const { stub } = await job()
    const waiting = stub.waitForEvents(OWNER, 1, 60_000)
    await stub.start()
    const page = await waiting
    expect(page?.events.map((e) => e.type)).toEqual(['job.in_progress'])
    expect((await stub.waitForEvents(OWNER, 0, 60_000))?.events).toHaveLength(2)
    expect(await stub.waitForEvents(OWNER, 2, 0)).toEqual({ events: [], ended: false, gap: false })
  })

  it('wakes waiting readers when the job ends, and answers ended readers at once', async () => {
    const { stub } = await job()
    const readers = [stub.waitForEvents(OWNER, 1, 60_000), stub.waitForEvents(OWNER, 1, 60_000)]
    await stub.complete({ cacheKey: 'k' })
    for (const page of await Promise.all(readers)) {
      expect(page).toMatchObject({ ended: true, events: [{ type: 'job.completed' }] })
    }
    expect(await stub.waitForEvents(OWNER, 2, 60_000)).toMatchObject({ ended: true, events: [] })
  })

  it(`keeps at most ${MAX_WAITERS} readers waiting; more are answered at once`, async () => {
    const { stub } = await job()
    const waiting = Array.from({ length: MAX_WAITERS }, () => stub.waitForEvents(OWNER, 1, 60_000))
    expect(await stub.waitForEvents(OWNER, 1, 60_000)).toEqual({
      events: [],
      ended: false,
      gap: false,
    })
    await stub.start()
    expect((await Promise.all(waiting)).every((p) => p?.events.length === 1)).toBe(true)
  })

  it('gives a waiting reader nothing after its timeout', async () => {
    const { stub } = await job()
    expect(await stub.waitForEvents(OWNER, 1, 5)).toEqual({ events: [], ended: false, gap: false })
  })

  it('fails at its deadline, then is deleted after its keep time', async () => {
    const { stub } = await job({ runSeconds: 60, keepSeconds: 600, webhook: HOOK })
    await stub.start()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const view = await stub.view(OWNER)
    expect(view).toMatchObject({
      status: 'failed',
      failure: { kind: 'upstream_unavailable', cause: 'timeout' },
      expiresAt: Date.now() + 600_000,
    })
    vi.setSystemTime(Date.now() + 600_000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await stub.view(OWNER)).toBeNull()
    await runInDurableObject(stub, async (_: JobRecord, state) => {
      expect((await state.storage.list()).size).toBe(0)
      expect(await state.storage.getAlarm()).toBeNull()
    })
  })

  it('is kept its keep time after it ends, its alarm set for then', async () => {
    const { stub } = await job({ keepSeconds: 3600 })
    await stub.complete({ cacheKey: 'k' })
    const view = await stub.view(OWNER)
    await runInDurableObject(stub, async (_: JobRecord, state) => {
      expect(await state.storage.getAlarm()).toBe(view?.expiresAt)
    })
    expect(view?.expiresAt).toBe((view?.endedAt ?? 0) + 3_600_000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await stub.view(OWNER)).toEqual(view)
  })
})
