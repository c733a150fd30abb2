/**
 * Request rows for the log's tests: one of each outcome the gateway records, and fast-check
 * arbitraries for rows with hostile values (NaN, negatives, lone surrogates, huge texts).
 */
import fc from 'fast-check'
import { CACHE_STATES, REQUEST_KINDS, type RequestRow } from '../../src/log/row'

export const T0 = Date.UTC(2026, 10, 24, 12)
export const FILE = `${'ab'.repeat(16)}.png`

export function row(overrides: Partial<RequestRow> = {}): RequestRow {
  return {
    id: `gw_${crypto.randomUUID().replaceAll('-', '')}`,
    createdAt: T0,
    keyId: 'key_abc',
    kind: 'generation',
    model: 'gpt-image-1',
    size: '1024x1024',
    quality: 'low',
    n: 1,
    cache: 'MISS',
    status: 200,
    code: null,
    reservedMicros: 50_000,
    chargedMicros: 11_000,
    costMicros: 11_000,
    savedMicros: 0,
    upstream: 'openai',
    durationMs: 5200,
    ttfbMs: 300,
    images: [FILE],
    prompt: 'a red fox',
    ...overrides,
  }
}

/** One row for every outcome issue 21 lists. */
export const OUTCOMES: Record<string, Partial<RequestRow>> = {
  miss: {},
  hit: { cache: 'HIT', reservedMicros: 0, chargedMicros: 0, costMicros: 0, savedMicros: 11_000 },
  join: { cache: 'JOIN', reservedMicros: 0, chargedMicros: 0, costMicros: 0, savedMicros: 11_000 },
  bypass: { cache: 'BYPASS', quality: 'high', n: 2, images: [FILE, `${'cd'.repeat(16)}.webp`] },
  edit: { kind: 'edit', model: 'gpt-image-1.5', size: 'auto', quality: 'auto' },
  embed: { kind: 'embed', keyId: 'embed', upstream: null, ttfbMs: null },
  refusal: {
    model: null,
    size: null,
    quality: null,
    n: null,
    cache: null,
    status: 400,
    code: 'invalid_value',
    reservedMicros: 0,
    chargedMicros: 0,
    costMicros: 0,
    upstream: null,
    images: [],
  },
  rateLimited: { keyId: 'anonymous', cache: null, status: 429, code: 'rate_limit_exceeded' },
  upstreamFailureRefunded: {
    status: 500,
    code: 'upstream_error',
    chargedMicros: 0,
    costMicros: 0,
    images: [],
  },
  moderation: { status: 400, code: 'moderation_blocked', chargedMicros: 0, images: [] },
  operator: { keyId: 'operator:0', chargedMicros: 0, reservedMicros: 0 },
}

const anyNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -1_000_000, max: 10_000_000 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 60),
)
/** Any UTF-16 code unit: lone surrogates, which D1's UTF-8 would turn into U+FFFD, and NUL. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: codeUnit, maxLength: 300 }),
)
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null })

/** Rows with any values their types allow, most of them out of any sensible range. */
export const hostileRow: fc.Arbitrary<RequestRow> = fc.record({
  id: anyText,
  createdAt: anyNumber,
  keyId: anyText,
  kind: fc.constantFrom(...REQUEST_KINDS),
  model: nullable(anyText),
  size: nullable(anyText),
  quality: nullable(anyText),
  n: nullable(anyNumber),
  cache: nullable(fc.constantFrom(...CACHE_STATES)),
  status: anyNumber,
  code: nullable(anyText),
  reservedMicros: anyNumber,
  chargedMicros: anyNumber,
  costMicros: anyNumber,
  savedMicros: anyNumber,
  upstream: nullable(anyText),
  durationMs: nullable(anyNumber),
  ttfbMs: nullable(anyNumber),
  images: fc.array(anyText, { maxLength: 12 }),
  prompt: nullable(anyText),
})
