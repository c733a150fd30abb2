/**
 * Retention and the admin trail against real D1: rows past N days go (in bounded chunks, a
 * later run finishing the job), newer ones and admin actions stay; admin actions are recorded
 * by a fingerprint that is not the token, paged newest first, and never fail the admin's call.
 */
import { reset } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { adminFingerprint, listAdminActions, recordAdminAction } from '../../src/log/admin-actions'
import { CursorError } from '../../src/log/cursor'
import { listRequests } from '../../src/log/requests'
import { DEFAULT_RETENTION_DAYS, pruneLog } from '../../src/log/retention'
import { countViews, writeRequests } from '../../src/log/writer'
import { row } from './rows'

afterEach(async () => {
  await reset()
})

const db = () => env.USAGE
const DAY = 86_400_000
const NOW = Date.UTC(2026, 11, 31, 3)
const CUTOFF = NOW - DEFAULT_RETENTION_DAYS * DAY

async function ids() {
  return (await listRequests(db(), { limit: 200 })).data.map((r) => r.id)
}

async function viewDays() {
  const { results } = await db()
    .prepare('SELECT day FROM image_views ORDER BY day')
    .all<{ day: string }>()
  return results.map((r) => r.day)
}

describe('retention', () => {
  it('deletes requests before the cutoff and view counts of days before its day', async () => {
    await writeRequests(db(), [
      row({ id: 'old', createdAt: CUTOFF - 1 }),
      row({ id: 'edge', createdAt: CUTOFF }),
      row({ id: 'new', createdAt: NOW }),
    ])
    await countViews(db(), [
      { image: 'a.png', at: CUTOFF - DAY },
      { image: 'a.png', at: CUTOFF - 1 },
      { image: 'a.png', at: NOW },
    ])
    const result = await pruneLog(db(), { days: DEFAULT_RETENTION_DAYS, now: NOW })
    expect(result).toEqual({ requests: 1, views: 1, done: true })
    expect(await ids()).toEqual(['new', 'edge'])
    expect(await viewDays()).toEqual(['2026-12-01', '2026-12-31'])
  })

  it('works in bounded chunks, and a later run finishes what one left', async () => {
    const old = Array.from({ length: 7 }, (_, i) =>
      row({ id: `old${i}`, createdAt: CUTOFF - i - 1 }),
    )
    await writeRequests(db(), [...old, row({ id: 'new', createdAt: NOW })])
    const options = { days: DEFAULT_RETENTION_DAYS, now: NOW, chunk: 2, maxChunks: 2 }
    expect(await pruneLog(db(), options)).toEqual({ requests: 4, views: 0, done: false })
    // The oldest go first.
    expect(await ids()).toEqual(['new', 'old0', 'old1', 'old2'])
    expect(await pruneLog(db(), options)).toEqual({ requests: 3, views: 0, done: true })
    expect(await ids()).toEqual(['new'])
  })

  it('keeps admin actions, the audit trail', async () => {
    await recordAdminAction(db(), {
      at: CUTOFF - 365 * DAY,
      admin: 'f'.repeat(16),
      action: 'key.create',
      target: 'key_1',
      detail: { name: 'alice' },
    })
    await pruneLog(db(), { days: 1, now: NOW })
    expect((await listAdminActions(db(), {})).data).toHaveLength(1)
  })
})

describe('admin actions', () => {
  it('name the admin by 64 bits of the token’s SHA-256, never the token', async () => {
    const token = 'adm-correct-horse-battery-staple'
    const fingerprint = await adminFingerprint(token)
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/)
    expect(await adminFingerprint(token)).toBe(fingerprint)
    expect(await adminFingerprint(`${token}2`)).not.toBe(fingerprint)
    // SHA-256("abc") begins ba7816bf8f01cfea.
    expect(await adminFingerprint('abc')).toBe('ba7816bf8f01cfea')
  })

  it('are listed newest first, a page at a time, with what changed', async () => {
    const admin = await adminFingerprint('token')
    const actions = ['key.create', 'key.credit', 'key.revoke'] as const
    for (const [i, action] of actions.entries())
      await recordAdminAction(db(), { at: NOW + i, admin, action, target: 'key_1', detail: { i } })
    const first = await listAdminActions(db(), { limit: 2 })
    expect(first.data.map((a) => [a.action, a.detail])).toEqual([
      ['key.revoke', { i: 2 }],
      ['key.credit', { i: 1 }],
    ])
    expect(first.data[0]).toMatchObject({ admin, target: 'key_1', at: NOW + 2 })
    const second = await listAdminActions(db(), { limit: 2, before: first.next })
    expect(second).toMatchObject({ data: [{ action: 'key.create' }], next: null })
    await expect(listAdminActions(db(), { before: 'x' })).rejects.toThrow(CursorError)
  })

  it('keep a detail too long to store as a marker, and never throw when the write fails', async () => {
    const base = { at: NOW, admin: 'a'.repeat(16), action: 'key.credit' as const, target: null }
    await recordAdminAction(db(), { ...base, detail: { note: 'x'.repeat(5000) } })
    expect((await listAdminActions(db(), {})).data[0]?.detail).toEqual({ truncated: true })
    const reports = vi.fn()
    const broken = {
      prepare: () => {
        throw new Error('D1_ERROR: no such table: admin_actions')
      },
    } as unknown as D1Database
    await expect(recordAdminAction(broken, { ...base, detail: {} }, reports)).resolves.toBe(
      undefined,
    )
    expect(reports).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'admin_action_write_failed' }),
    )
  })
})
