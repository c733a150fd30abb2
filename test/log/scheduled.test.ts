/**
 * The cron trigger through the worker's default export: requests and view counts past
 * USAGE_RETENTION_DAYS (default 30) go, newer ones stay; a misconfigured value fails the run.
 */
import {
  createExecutionContext,
  createScheduledController,
  reset,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { listRequests } from '../../src/log/requests'
import { writeRequests } from '../../src/log/writer'
import { row } from './rows'

afterEach(async () => {
  vi.restoreAllMocks()
  await reset()
})

const DAY = 86_400_000
const NOW = Date.UTC(2026, 11, 31, 3, 17)

async function runCron(bindings: Partial<Bindings> = {}) {
  const controller = createScheduledController({ scheduledTime: new Date(NOW), cron: '17 * * * *' })
  const ctx = createExecutionContext()
  await worker.scheduled(controller, { ...env, ...bindings } as Bindings, ctx)
  await waitOnExecutionContext(ctx)
}

async function ages() {
  const { data } = await listRequests(env.USAGE, { limit: 200 })
  return data.map((r) => (NOW - r.createdAt) / DAY)
}

describe('the cron trigger', () => {
  it('deletes requests older than USAGE_RETENTION_DAYS, 30 by default', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const days = [1, 6, 8, 29, 31, 90]
    await writeRequests(
      env.USAGE,
      days.map((d) => row({ createdAt: NOW - d * DAY })),
    )
    await runCron()
    expect(await ages()).toEqual([1, 6, 8, 29])
    await runCron({ USAGE_RETENTION_DAYS: '7' })
    expect(await ages()).toEqual([1, 6])
    expect(log).toHaveBeenLastCalledWith(
      JSON.stringify({ event: 'request_log_pruned', days: 7, requests: 2, views: 0, done: true }),
    )
  })

  it('fails the run when USAGE_RETENTION_DAYS breaks its rule, deleting nothing', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    await writeRequests(env.USAGE, [row({ createdAt: NOW - 90 * DAY })])
    await expect(runCron({ USAGE_RETENTION_DAYS: '0' })).rejects.toThrow()
    expect(await ages()).toEqual([90])
  })
})
