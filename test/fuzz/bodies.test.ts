/**
 * Fuzzing (fast-check): random and mutated request bodies never cause a 5xx or an upstream call
 * unless they are valid; the cache key ignores field order and `user` and changes with every
 * field that changes the picture.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cacheKey } from '../../src/cache/cache-key'
import { imageRequestSchema, normalize } from '../../src/schema/image-request'
import { FAKE_UPSTREAM_URL } from '../fakes/upstream'
import { fakeUpstream, generate, settled } from '../helpers/gateway'

const validRequest = fc.record(
  {
    model: fc.constantFrom('gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5'),
    prompt: fc.string({ minLength: 1, maxLength: 50 }),
    n: fc.integer({ min: 1, max: 10 }),
    size: fc.constantFrom('auto', '1024x1024', '1536x1024', '1024x1536'),
    quality: fc.constantFrom('auto', 'low', 'medium', 'high'),
    background: fc.constantFrom('auto', 'opaque'),
    moderation: fc.constantFrom('auto', 'low'),
    output_format: fc.constantFrom('png', 'jpeg', 'webp'),
    user: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: ['prompt'] },
)

const FIELDS = [
  'model',
  'prompt',
  'n',
  'size',
  'quality',
  'background',
  'moderation',
  'output_format',
  'output_compression',
  'stream',
  'partial_images',
  'user',
  'response_format',
]

/** A valid request with one field replaced by anything, or an unknown field added. */
const mutated = fc
  .tuple(
    validRequest,
    fc.constantFrom(...FIELDS, 'style', '__proto__', 'constructor'),
    fc.anything(),
  )
  .map(([request, field, value]) => {
    const body: Record<string, unknown> = { ...request }
    Object.defineProperty(body, field, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
    return body
  })

describe('fuzzed bodies', () => {
  it('never give a 5xx, and reach the upstream only when valid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), mutated), async (body) => {
        const fake = fakeUpstream()
        const res = await generate(body, { headers: { 'cache-control': 'no-cache' } })
        await res.arrayBuffer().catch(() => null)
        await settled()
        expect(res.status).toBeLessThan(500)
        // Judge what the gateway received: JSON drops undefined fields, so `{x: undefined}` is `{}`.
        const text = JSON.stringify(body)
        const valid = text !== undefined && imageRequestSchema.safeParse(JSON.parse(text)).success
        if (res.status >= 400) {
          expect(fake.calls).toEqual([])
        } else {
          expect(valid).toBe(true)
          expect(fake.calls.length).toBeLessThanOrEqual(1)
        }
      }),
      { numRuns: 120 },
    )
  })
})

/** The shared cache of the fake upstream. */
const SHARED = { upstream: FAKE_UPSTREAM_URL, scope: null }

describe('cache key', () => {
  it("never lets a demo picture, or another key's own cache, answer a request", async () => {
    const request = normalize(imageRequestSchema.parse({ prompt: 'a fox' }))
    const keys = await Promise.all([
      cacheKey(request, SHARED),
      cacheKey(request, { upstream: 'demo', scope: null }),
      cacheKey(request, { upstream: 'https://other.example/v1', scope: null }),
      cacheKey(request, { ...SHARED, scope: 'key_a' }),
      cacheKey(request, { ...SHARED, scope: 'key_b' }),
    ])
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('ignores field order and user', async () => {
    await fc.assert(
      fc.asyncProperty(validRequest, fc.string(), async (request, user) => {
        const parsed = imageRequestSchema.safeParse(request)
        fc.pre(parsed.success)
        const reversed = Object.fromEntries(Object.entries(request).reverse())
        const a = await cacheKey(normalize(imageRequestSchema.parse(request)), SHARED)
        const b = await cacheKey(normalize(imageRequestSchema.parse({ ...reversed, user })), SHARED)
        expect(b).toBe(a)
      }),
    )
  })

  it('changes with every field that changes the picture', async () => {
    const changes: Record<string, (value: unknown) => unknown> = {
      model: (v) => (v === 'gpt-image-1-mini' ? 'gpt-image-1.5' : 'gpt-image-1-mini'),
      prompt: (v) => `${v ?? ''}!`,
      n: (v) => ((typeof v === 'number' ? v : 1) % 10) + 1,
      size: (v) => (v === '1536x1024' ? '1024x1536' : '1536x1024'),
      quality: (v) => (v === 'high' ? 'low' : 'high'),
      background: (v) => (v === 'opaque' ? 'auto' : 'opaque'),
      moderation: (v) => (v === 'low' ? 'auto' : 'low'),
      output_format: (v) => (v === 'jpeg' ? 'webp' : 'jpeg'),
    }
    await fc.assert(
      fc.asyncProperty(
        validRequest,
        fc.constantFrom(...Object.keys(changes)),
        async (request, field) => {
          const before = normalize(imageRequestSchema.parse(request))
          const change = changes[field] as (value: unknown) => unknown
          const after = normalize(
            imageRequestSchema.parse({
              ...request,
              [field]: change(before[field as keyof typeof before]),
            }),
          )
          fc.pre(JSON.stringify(after) !== JSON.stringify(before))
          expect(await cacheKey(after, SHARED)).not.toBe(await cacheKey(before, SHARED))
        },
      ),
    )
  })

  it('changes with output_compression for jpeg and webp', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('jpeg', 'webp'),
        fc.integer({ min: 0, max: 99 }),
        async (format, compression) => {
          const a = await cacheKey(
            normalize(
              imageRequestSchema.parse({
                prompt: 'x',
                output_format: format,
                output_compression: compression,
              }),
            ),
            SHARED,
          )
          const b = await cacheKey(
            normalize(
              imageRequestSchema.parse({
                prompt: 'x',
                output_format: format,
                output_compression: compression + 1,
              }),
            ),
            SHARED,
          )
          expect(a).not.toBe(b)
        },
      ),
    )
  })
})
