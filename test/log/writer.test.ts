/**
 * The log's writer against real D1: every outcome's row reads back as written, any row at all
 * is stored (normalized) without failing its batch, views are counted per day, and a failing
 * database never throws into the request.
 */
import { reset } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { listRequests } from '../../src/log/requests'
import { normalizeRow } from '../../src/log/row'
import { countViews, MAX_BATCH, writeRequests } from '../../src/log/writer'
import { MAX_PROMPT_LENGTH } from '../../src/schema/image-request'
import { FILE, hostileRow, OUTCOMES, row, T0 } from './rows'

afterEach(async () => {
  await reset()
})

const db = () => env.USAGE

async function all() {
  return (await listRequests(db(), { limit: 200 })).data
}

describe('writing requests', () => {
  it('reads back every outcome exactly as written', async () => {
    const rows = Object.values(OUTCOMES).map((o, i) => row({ ...o, createdAt: T0 + i }))
    await writeRequests(db(), rows)
    expect(await all()).toEqual(rows.toReversed())
  })

  it('stores any row, normalized: integers in range, texts well formed and bounded', async () => {
    await fc.assert(
      fc.asyncProperty(hostileRow, async (hostile) => {
        await db().exec('DELETE FROM request_log')
        const reports = vi.fn()
        await writeRequests(db(), [hostile], reports)
        expect(reports).not.toHaveBeenCalled()
        const [stored] = await all()
        // Compared as JSON, which escapes lone surrogates, so a failure's report stays readable.
        expect(JSON.stringify(stored)).toBe(JSON.stringify(normalizeRow(hostile)))
      }),
      { numRuns: 60 },
    )
  })

  it('keeps a prompt up to the longest a request may have, cut where a surrogate pair is split', async () => {
    const longest = 'x'.repeat(MAX_PROMPT_LENGTH - 1)
    await writeRequests(db(), [
      row({ id: 'long', prompt: `${longest}y` }),
      row({ id: 'over', prompt: `${longest}😀 and more` }),
    ])
    const stored = new Map((await all()).map((r) => [r.id, r.prompt]))
    expect(stored.get('long')).toBe(`${longest}y`)
    expect(stored.get('over')).toBe(`${longest}\uFFFD`)
  })

  it('writes more rows than one batch holds, and a repeated write changes nothing', async () => {
    const rows = Array.from({ length: MAX_BATCH * 2 + 3 }, (_, i) => row({ createdAt: T0 + i }))
    const batch = vi.spyOn(db(), 'batch')
    await writeRequests(db(), rows)
    expect(batch).toHaveBeenCalledTimes(3)
    batch.mockRestore()
    await writeRequests(db(), rows.slice(0, 5))
    const stored = await all()
    expect(stored).toHaveLength(rows.length)
    expect(stored.toReversed()).toEqual(rows)
  })

  it('merges the worker’s part of a row and the owner’s, in either order, into the same row', async () => {
    const whole = row({ status: 502, code: 'upstream_error', chargedMicros: 0, images: [] })
    // What the worker knows when the answer began, and what the owner knows when it ended.
    const worker = row({
      ...whole,
      status: 200,
      code: null,
      reservedMicros: 0,
      costMicros: 0,
      upstream: null,
      durationMs: 300,
    })
    const owner = row({ ...whole, cache: null, ttfbMs: null, images: [] })
    for (const order of [
      [worker, owner],
      [owner, worker],
    ]) {
      await db().exec('DELETE FROM request_log')
      for (const part of order) await writeRequests(db(), [part])
      expect(await all()).toEqual([whole])
    }
    await writeRequests(db(), [row({ ...whole, images: [FILE, FILE] })])
    expect((await all())[0]?.images).toEqual([FILE, FILE])
  })

  it('records nothing, and asks nothing, without a database', async () => {
    await expect(writeRequests(undefined, [row()])).resolves.toBeUndefined()
    await expect(countViews(undefined, [{ image: FILE, at: T0 }])).resolves.toBeUndefined()
  })
})

/** A database whose every call fails the way the given step says. */
function failingDb(step: 'prepare' | 'batch' | 'hang-up'): D1Database {
  const statement = {
    bind: () => statement,
    run: () => Promise.reject(new Error('D1_ERROR: Network connection lost.')),
  }
  return {
    prepare: () => {
      if (step === 'prepare') throw new Error('D1_ERROR: no such table: request_log')
      return statement
    },
    batch: () =>
      step === 'batch'
        ? Promise.reject(new Error('D1_ERROR: database is overloaded'))
        : Promise.reject(new TypeError('fetch failed')),
  } as unknown as D1Database
}

describe('a failing database', () => {
  for (const step of ['prepare', 'batch', 'hang-up'] as const) {
    it(`never throws from the writer (${step}) and reports one line without the rows`, async () => {
      const reports = vi.fn()
      const prompt = 'a secret prompt'
      await expect(
        writeRequests(failingDb(step), [row({ prompt }), row()], reports),
      ).resolves.toBeUndefined()
      await expect(
        countViews(failingDb(step), [{ image: FILE, at: T0 }], reports),
      ).resolves.toBeUndefined()
      expect(reports).toHaveBeenCalledTimes(2)
      expect(reports.mock.calls[0]?.[0]).toMatchObject({
        event: 'request_log_write_failed',
        rows: 2,
      })
      expect(reports.mock.calls[1]?.[0]).toMatchObject({ event: 'image_views_write_failed' })
      expect(JSON.stringify(reports.mock.calls)).not.toContain(prompt)
    })
  }

  it('logs to the console by default, and survives a reporter that throws', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    await writeRequests(failingDb('batch'), [row()])
    expect(JSON.parse(String(error.mock.calls[0]?.[0]))).toMatchObject({
      event: 'request_log_write_failed',
      error: 'D1_ERROR: database is overloaded',
    })
    error.mockRestore()
    const throwing = () => {
      throw new Error('reporter down')
    }
    await expect(writeRequests(failingDb('batch'), [row()], throwing)).resolves.toBeUndefined()
  })
})

describe('image views', () => {
  const views = async () =>
    (await db().prepare('SELECT day, image, views FROM image_views ORDER BY day, image').all())
      .results

  it('are counted per image and UTC day in one row each, adding up across writes', async () => {
    const other = `${'ef'.repeat(16)}.jpeg`
    const nextDay = Date.UTC(2026, 10, 25, 0, 0, 1)
    await countViews(db(), [
      { image: FILE, at: T0 },
      { image: FILE, at: T0 + 1000 },
      { image: other, at: T0 },
      { image: FILE, at: nextDay },
    ])
    await countViews(db(), [{ image: FILE, at: T0 + 2000 }])
    expect(await views()).toEqual([
      { day: '2026-11-24', image: FILE, views: 3 },
      { day: '2026-11-24', image: other, views: 1 },
      { day: '2026-11-25', image: FILE, views: 1 },
    ])
  })

  it('add up to the number of views whatever their times and images', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ image: fc.constantFrom('a.png', 'b.png'), at: fc.nat(10 ** 9) }), {
          maxLength: 120,
        }),
        async (list) => {
          await db().exec('DELETE FROM image_views')
          await countViews(db(), list)
          const total = (await views()).reduce((sum, r) => sum + Number(r.views), 0)
          expect(total).toBe(list.length)
        },
      ),
      { numRuns: 25 },
    )
  })
})
