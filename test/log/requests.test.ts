/**
 * The request list against real D1: pages newest first with no gaps or repeats even when many
 * rows share a millisecond, filters, cursors that refuse what we did not make, and each query
 * served by an index in order (no scan of the table, no sort).
 */
import { reset } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { CursorError, encodeCursor, parseCursor } from '../../src/log/cursor'
import {
  listRequests,
  MAX_PAGE,
  pageQuery,
  type RequestQuery,
  requestEntry,
} from '../../src/log/requests'
import { CACHE_STATES, type RequestRow } from '../../src/log/row'
import { writeRequests } from '../../src/log/writer'
import { FILE, OUTCOMES, row, T0 } from './rows'

afterEach(async () => {
  await reset()
})

const db = () => env.USAGE

/** Newest first, ties by id descending (ids here are ASCII: JS and SQLite order them alike). */
const newestFirst = (a: RequestRow, b: RequestRow) =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

function matches(r: RequestRow, q: RequestQuery): boolean {
  return (
    (q.key === undefined || r.keyId === q.key) &&
    (q.model === undefined || r.model === q.model) &&
    (q.cache === undefined || r.cache === q.cache) &&
    (q.status === undefined || r.status === q.status)
  )
}

async function pageThrough(query: RequestQuery, between?: () => Promise<void>) {
  const seen: RequestRow[] = []
  let before: string | null = null
  for (let pages = 0; pages < 100; pages++) {
    const page = await listRequests(db(), { ...query, before })
    expect(page.data.length).toBeLessThanOrEqual(query.limit ?? 50)
    seen.push(...page.data)
    if (!page.next) return seen
    expect(page.data).toHaveLength(query.limit ?? 50)
    before = page.next
    await between?.()
  }
  throw new Error('paging did not end')
}

const generated = fc.uniqueArray(
  fc.record({
    id: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 6 }),
    tick: fc.integer({ min: 0, max: 3 }),
    key: fc.constantFrom('key_a', 'key_b', 'anonymous'),
    model: fc.constantFrom('gpt-image-1', 'gpt-image-2', null),
    cache: fc.constantFrom(...CACHE_STATES, null),
    status: fc.constantFrom(200, 400, 429),
  }),
  { selector: (g) => g.id, minLength: 5, maxLength: 40 },
)

/** A page size and at most one filter, as the console asks (several filters narrow too far). */
const queries: fc.Arbitrary<RequestQuery> = fc
  .tuple(
    fc.integer({ min: 1, max: 7 }),
    fc.oneof(
      fc.constant({}),
      fc.record({ key: fc.constantFrom('key_a', 'key_b', 'anonymous', 'key_none') }),
      fc.record({ model: fc.constantFrom('gpt-image-1', 'gpt-image-2') }),
      fc.record({ cache: fc.constantFrom(...CACHE_STATES) }),
      fc.record({ status: fc.constantFrom(200, 400, 429) }),
      fc.record({ key: fc.constantFrom('key_a', 'key_b'), cache: fc.constantFrom('HIT', 'MISS') }),
    ),
  )
  .map(([limit, filter]): RequestQuery => ({ limit, ...filter }))

describe('listing requests', () => {
  it('pages through every matching row once, newest first, whatever the ties and filters', async () => {
    await fc.assert(
      fc.asyncProperty(generated, queries, async (specs, query) => {
        await db().exec('DELETE FROM request_log')
        const rows = specs.map(({ id, tick, key, model, cache, status }) =>
          row({ id, keyId: key, createdAt: T0 + tick, model, cache, status }),
        )
        await writeRequests(db(), rows)
        // Newer requests arriving between pages never show up in, or shift, the older pages.
        let newer = 0
        const arrive = () =>
          writeRequests(db(), [row({ id: `new${newer}`, createdAt: T0 + 10 + newer++ })])
        const seen = await pageThrough(query, arrive)
        expect(seen).toEqual(rows.filter((r) => matches(r, query)).sort(newestFirst))
      }),
      { numRuns: 40 },
    )
  })

  it('pages one row at a time through rows of the same millisecond', async () => {
    await writeRequests(
      db(),
      ['a', 'b', 'c'].map((id) => row({ id, createdAt: T0 })),
    )
    const seen = await pageThrough({ limit: 1 })
    expect(seen.map((r) => r.id)).toEqual(['c', 'b', 'a'])
  })

  it('gives at most MAX_PAGE rows a page, and the default page when no limit is given', async () => {
    const rows = Array.from({ length: MAX_PAGE + 5 }, (_, i) => row({ createdAt: T0 + i }))
    await writeRequests(db(), rows)
    expect((await listRequests(db(), { limit: 10_000 })).data).toHaveLength(MAX_PAGE)
    expect((await listRequests(db(), { limit: 0 })).data).toHaveLength(1)
    expect((await listRequests(db(), {})).data).toHaveLength(50)
  })

  it('refuses a cursor it did not make, with CursorError', async () => {
    for (const before of ['nope!', 'bm9wZQ', encodeCursor({ createdAt: 1, id: 'x' }).slice(1)])
      await expect(listRequests(db(), { before })).rejects.toThrow(CursorError)
  })

  it('shows a row as the admin API does: dollars, an ISO time, picture URLs', () => {
    const r = row({ ...OUTCOMES.hit, createdAt: T0 + 5 })
    const entry = requestEntry(r, (file) => `https://gw.example/v1/images/${file}`)
    expect(entry).toMatchObject({
      id: r.id,
      created_at: '2026-11-24T12:00:00.005Z',
      key_id: 'key_abc',
      cache: 'HIT',
      cost_usd: 0,
      saved_usd: 0.011,
      prompt: 'a red fox',
      images: [{ url: `https://gw.example/v1/images/${FILE}` }],
    })
  })
})

describe('cursors', () => {
  it('decode to what was encoded, for any time and id', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 47 }), fc.string({ unit: 'binary' }), (createdAt, id) => {
        expect(parseCursor(encodeCursor({ createdAt, id }))).toEqual({ createdAt, id })
      }),
    )
  })

  it('never throw when parsed from any text: a cursor or null', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String()), (text) => {
        const cursor = parseCursor(text)
        if (cursor) expect(Number.isSafeInteger(cursor.createdAt)).toBe(true)
      }),
    )
  })
})

describe('indexes', () => {
  const plans: [string, RequestQuery, string][] = [
    ['newest', {}, 'request_log_time'],
    ['key', { key: 'key_a' }, 'request_log_key'],
    ['model', { model: 'gpt-image-1' }, 'request_log_model'],
    ['cache', { cache: 'HIT' }, 'request_log_cache'],
    ['status', { status: 429 }, 'request_log_status'],
  ]
  for (const [name, query, index] of plans) {
    it(`serve the ${name} list in order from ${index}, on later pages too`, async () => {
      for (const before of [undefined, encodeCursor({ createdAt: T0, id: 'gw_x' })]) {
        const { sql, values } = pageQuery({ ...query, before })
        const { results } = await db()
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .bind(...values)
          .all<{ detail: string }>()
        const detail = results.map((r) => r.detail).join('\n')
        expect(detail).toContain(`USING INDEX ${index}`)
        expect(detail).not.toContain('TEMP B-TREE')
        if (before) expect(detail).toMatch(/SEARCH request_log USING INDEX .*\(created_at,id\)</)
      }
    })
  }
})
