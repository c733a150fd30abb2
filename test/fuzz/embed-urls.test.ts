/**
 * Fuzzing (fast-check) signed embed URLs: any mutation of the signature or the parameters is a
 * 4xx when it changes what was signed, never a 5xx (a malformed `sig` once threw in atob), and a
 * refused URL never reaches the upstream.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalQuery, signedEmbedUrl } from '../../src/embed/signing'
import { callGateway, ENVS, fakeUpstream, GATEWAY_URL, settled } from '../helpers/gateway'

const SECRET = 'embed-secret-for-fuzzing'
const env = { ...ENVS.remote, EMBED_SIGNING_SECRET: SECRET }
const NAMES = [
  'prompt',
  'model',
  'size',
  'quality',
  'output_format',
  'partial_images',
  'sig',
  'exp',
  'key',
  'stream',
  'width',
  'format',
  'other',
]

/** A signed embed URL's query for a picture from a small set (so some visits hit the cache). */
const signedQuery = fc
  .record({
    prompt: fc.constantFrom('a fox', 'a heron at dawn'),
    size: fc.constantFrom('1024x1024', '1536x1024'),
    exp: fc.constantFrom(undefined, '4102444800'),
  })
  .map(async ({ prompt, size, exp }) => {
    const params = new URLSearchParams({ prompt, size, ...(exp ? { exp } : {}) })
    return new URL(await signedEmbedUrl(GATEWAY_URL, SECRET, params)).searchParams
  })

/** Text a mutation puts in a URL: base64url-ish, any string, or percent-escape debris. */
const text = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_=+/-]{0,50}$/),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', 'A', 'AB', 'ABC', '====', '%', '%E0%A4%A', '%00', '-_', '1e9', 'null'),
)

type Mutation = (params: URLSearchParams) => string

/** One change to a signed query, as the raw query text it gives. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  text.map((sig) => (params: URLSearchParams) => {
    params.set('sig', sig)
    return params.toString()
  }),
  fc.nat().map((cut) => (params: URLSearchParams) => {
    const sig = params.get('sig') ?? ''
    params.set('sig', sig.slice(0, cut % (sig.length + 1)))
    return params.toString()
  }),
  fc
    .tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1 }))
    .map(([at, char]) => (params: URLSearchParams) => {
      const sig = params.get('sig') ?? ''
      const i = at % (sig.length + 1)
      params.set('sig', sig.slice(0, i) + char + sig.slice(i + 1))
      return params.toString()
    }),
  fc.tuple(fc.constantFrom(...NAMES), text).map(([name, value]) => (params: URLSearchParams) => {
    params.set(name, value)
    return params.toString()
  }),
  fc.tuple(fc.constantFrom(...NAMES), text).map(([name, value]) => (params: URLSearchParams) => {
    params.append(name, value)
    return params.toString()
  }),
  fc.constantFrom(...NAMES).map((name) => (params: URLSearchParams) => {
    params.delete(name)
    return params.toString()
  }),
  fc.tuple(fc.nat(), text).map(([at, raw]) => (params: URLSearchParams) => {
    const query = params.toString()
    const i = at % (query.length + 1)
    return query.slice(0, i) + raw + query.slice(i)
  }),
)

describe('fuzzed embed URLs', () => {
  it('answer a 4xx when what was signed changed, never a 5xx, and call nothing when refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        signedQuery,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (signing, mutations) => {
          const fake = fakeUpstream()
          const original = await signing
          let query = original.toString()
          for (const mutate of mutations) query = mutate(new URLSearchParams(query))
          const res = await callGateway(`/v1/images/embed?${query}`, { env })
          await res.arrayBuffer().catch(() => null)
          await settled()
          expect(res.status, query).toBeLessThan(500)
          const received = new URLSearchParams(query)
          const same =
            received.getAll('sig').length === 1 &&
            received.get('sig') === original.get('sig') &&
            canonicalQuery(received) === canonicalQuery(original)
          if (!same) expect(res.status, query).toBeGreaterThanOrEqual(400)
          if (res.status >= 400) expect(fake.calls, query).toEqual([])
        },
      ),
      { numRuns: 150 },
    )
  })

  it('answer every malformed signature with 403 invalid_signature', async () => {
    const fake = fakeUpstream()
    for (const sig of ['A', 'AAAAA', 'A=', '=', '-', '_', 'a'.repeat(45), 'Zm9v=']) {
      const query = new URLSearchParams({ prompt: 'a fox', sig })
      const res = await callGateway(`/v1/images/embed?${query}`, { env })
      expect(res.status, sig).toBe(403)
      expect(res.headers.get('x-should-retry'), sig).toBe('false')
      const { error } = (await res.json()) as { error: { code: string } }
      expect(error.code, sig).toBe('invalid_signature')
    }
    expect(fake.calls).toEqual([])
  })

  it('accept one spelling of a signature: spare bits set in its last character are refused', async () => {
    const fake = fakeUpstream()
    const url = new URL(await signedEmbedUrl(GATEWAY_URL, SECRET, new URLSearchParams('prompt=x')))
    const sig = url.searchParams.get('sig') ?? ''
    // 43 characters carry 258 bits for 256: the last one's two low bits are spare.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(sig.slice(-1))
    url.searchParams.set('sig', sig.slice(0, -1) + alphabet[last ^ 1])
    const res = await callGateway(url.pathname + url.search, { env })
    expect(res.status).toBe(403)
    expect(fake.calls).toEqual([])
  })
})
