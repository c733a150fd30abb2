/**
 * Usage reports against real D1: each grouping's sums equal the sums of the rows in the range
 * (and of one another), the range's ends are where they say, CSV carries the same figures, and
 * the CSV writer quotes as RFC 4180 says (checked by parsing back).
 */
import { reset } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { usd } from '../../src/billing/prices'
import { type CsvCell, csvField, toCsv } from '../../src/log/csv'
import { CACHE_STATES, type RequestRow } from '../../src/log/row'
import {
  dayRange,
  startOfDay,
  USAGE_GROUPS,
  type UsageGroup,
  type UsageRow,
  usage,
  usageCsv,
  usageGroup,
} from '../../src/log/usage'
import { writeRequests } from '../../src/log/writer'
import { FILE, row } from './rows'

afterEach(async () => {
  await reset()
})

const db = () => env.USAGE
const DAY = 86_400_000
const START = Date.UTC(2026, 10, 1)

const generated = fc.array(
  fc.record({
    // Any time, or a millisecond either side of a day's start (where ranges and days begin).
    at: fc.oneof(
      fc.integer({ min: START - DAY, max: START + 5 * DAY }),
      fc
        .tuple(fc.integer({ min: -1, max: 5 }), fc.constantFrom(-1, 0, 1))
        .map(([day, ms]) => START + day * DAY + ms),
    ),
    key: fc.constantFrom('key_a', 'key_b', 'embed'),
    model: fc.constantFrom('gpt-image-1', 'gpt-image-2', null),
    cache: fc.constantFrom(...CACHE_STATES, null),
    status: fc.constantFrom(200, 400, 500),
    cost: fc.nat(2_000_000),
    saved: fc.nat(2_000_000),
    images: fc.integer({ min: 0, max: 3 }),
  }),
  { maxLength: 60 },
)

type GeneratedRow = typeof generated extends fc.Arbitrary<(infer G)[]> ? G : never

function toRow(g: GeneratedRow): RequestRow {
  return row({
    createdAt: g.at,
    keyId: g.key,
    model: g.model,
    cache: g.cache,
    status: g.status,
    costMicros: g.cost,
    savedMicros: g.saved,
    images: Array.from({ length: g.images }, () => FILE),
  })
}

/** The totals of some rows, summed here in micro-dollars. */
function totals(rows: RequestRow[]) {
  const sum = (f: (r: RequestRow) => number) => rows.reduce((s, r) => s + f(r), 0)
  return {
    requests: rows.length,
    images: sum((r) => r.images.length),
    cost_usd: usd(sum((r) => r.costMicros)),
    cache_hits: sum((r) => (r.cache === 'HIT' ? 1 : 0)),
    saved_usd: usd(sum((r) => r.savedMicros)),
    errors: sum((r) => (r.status >= 400 ? 1 : 0)),
  }
}

const groupOf: Record<UsageGroup, (r: RequestRow) => string | null> = {
  day: (r) => new Date(r.createdAt).toISOString().slice(0, 10),
  model: (r) => r.model,
  key: (r) => r.keyId,
}
const fieldOf = { day: 'period', model: 'model', key: 'key_id' } as const

describe('usage', () => {
  it('sums, for every grouping, exactly the rows in the range', async () => {
    await fc.assert(
      fc.asyncProperty(
        generated,
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (specs, first, days) => {
          await db().exec('DELETE FROM request_log')
          const rows = specs.map(toRow)
          await writeRequests(db(), rows)
          const range = { from: START + first * DAY, to: START + (first + days) * DAY }
          const inRange = rows.filter((r) => r.createdAt >= range.from && r.createdAt < range.to)
          for (const groupBy of USAGE_GROUPS) {
            const report = await usage(db(), { ...range, groupBy })
            const expected = new Map<string | null, RequestRow[]>()
            for (const r of inRange) {
              const group = groupOf[groupBy](r)
              expected.set(group, [...(expected.get(group) ?? []), r])
            }
            expect(report).toHaveLength(expected.size)
            for (const line of report) {
              const group = usageGroup(line)
              expect(line).toEqual({
                [fieldOf[groupBy]]: group,
                ...totals(expected.get(group) ?? []),
              })
            }
          }
        },
      ),
      { numRuns: 30 },
    )
  })

  it('orders days by date, models and keys by spend', async () => {
    await writeRequests(db(), [
      row({ createdAt: START + DAY, keyId: 'key_small', costMicros: 1 }),
      row({ createdAt: START, keyId: 'key_big', costMicros: 9 }),
    ])
    const range = { from: START, to: START + 2 * DAY }
    const days = await usage(db(), { ...range, groupBy: 'day' })
    expect(days.map(usageGroup)).toEqual(['2026-11-01', '2026-11-02'])
    const keys = await usage(db(), { ...range, groupBy: 'key' })
    expect(keys.map(usageGroup)).toEqual(['key_big', 'key_small'])
  })

  it('gives the same figures as CSV, a header first', async () => {
    await writeRequests(db(), [
      row({ createdAt: START, model: null, costMicros: 1_500_001, status: 500 }),
      row({ createdAt: START + 1, cache: 'HIT', savedMicros: 11_000 }),
    ])
    const rows = await usage(db(), { from: START, to: START + DAY, groupBy: 'model' })
    expect(usageCsv(rows, 'model')).toBe(
      'model,requests,images,cost_usd,cache_hits,saved_usd,errors\r\n' +
        ',1,1,1.500001,0,0,1\r\n' +
        'gpt-image-1,1,1,0.011,1,0.011,0\r\n',
    )
    const empty: UsageRow[] = []
    expect(usageCsv(empty, 'day')).toBe(
      'period,requests,images,cost_usd,cache_hits,saved_usd,errors\r\n',
    )
  })
})

describe('day ranges', () => {
  it('cover whole UTC days, both ends included', () => {
    expect(dayRange('2026-11-01', '2026-11-01')).toEqual({ from: START, to: START + DAY })
    expect(dayRange('2026-02-28', '2026-03-01')?.to).toBe(Date.UTC(2026, 2, 2))
  })

  it('refuse what is not a real date', () => {
    for (const day of ['2026-02-30', '2026-13-01', '2026-1-01', '26-11-01', '', '2026-11-01T00'])
      expect(startOfDay(day)).toBeNull()
    expect(dayRange('2026-11-01', 'tomorrow')).toBeNull()
  })
})

/** A reference RFC 4180 reader: records of fields, quotes doubled inside quoted fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let fields: string[] = []
  let field = ''
  let i = 0
  while (i < text.length) {
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (text[i] === '"' && text[i + 1] === '"') field += text[i++]
        else if (text[i] === '"') break
        else if (i >= text.length) throw new Error('unterminated quote')
        else field += text[i]
      }
      i++
    } else if (text[i] === ',') {
      fields.push(field)
      field = ''
      i++
    } else if (text.startsWith('\r\n', i)) {
      records.push([...fields, field])
      fields = []
      field = ''
      i += 2
    } else if (text[i] === '"' || text[i] === '\r' || text[i] === '\n') {
      throw new Error(`bare ${JSON.stringify(text[i])} outside quotes at ${i}`)
    } else field += text[i++]
  }
  if (field || fields.length) throw new Error('last record not ended by CRLF')
  return records
}

describe('CSV', () => {
  it('quotes a field holding a comma, quote, CR or LF, and only those', () => {
    expect(csvField('plain text')).toBe('plain text')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"')
    expect(csvField('lf\nonly')).toBe('"lf\nonly"')
    expect(csvField(null)).toBe('')
    expect(csvField(0.000001)).toBe('0.000001')
  })

  it('reads back, as RFC 4180 reads, exactly the cells written', () => {
    const cell: fc.Arbitrary<CsvCell> = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', ',', '"', '\r', '\n', ' ', 'é') }),
      fc.string(),
      fc.double({ noNaN: true }),
      fc.constant(null),
    )
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { maxLength: 6 }),
        (rows) => {
          const header = ['a', 'b,c', 'd"e']
          const parsed = parseCsv(toCsv(header, rows))
          expect(parsed[0]).toEqual(header)
          expect(parsed.slice(1)).toEqual(
            rows.map((r) => r.map((c) => (c === null ? '' : String(c)))),
          )
        },
      ),
    )
  })
})
