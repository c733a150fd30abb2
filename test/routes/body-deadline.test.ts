/**
 * REQUEST_BODY_TIMEOUT_MS: a body trickled in a byte every 2 s (fake time) is cut at the deadline
 * on every route that reads one: a 408 envelope, the body cancelled, the pictures stored from it
 * so far deleted, no upstream call.
 */
import { describe, expect, it, vi } from 'vitest'
import { concat } from '../../src/stream/bytes'
import { dataUrl, png } from '../helpers/edits'
import {
  CLIENT_KEY,
  ENVS,
  fakeUpstream,
  GATEWAY_URL,
  gatewayFetch,
  settled,
} from '../helpers/gateway'
import { ADMIN } from '../helpers/keys'
import { storedKeys } from '../helpers/r2'

/** How often the trickle sends a byte, in (fake) ms. */
const EVERY = 2000
const DEFAULT_DEADLINE = 60_000

/**
 * Sends `head`, then a byte of `filler` every 2 s of fake time for as long as the gateway reads,
 * until it answers: the answer, the fake time it took, and what the body saw.
 */
async function trickle(
  head: Uint8Array | string,
  filler: string,
  send: (body: ReadableStream<Uint8Array>) => Promise<Response>,
) {
  const encoder = new TextEncoder()
  const state = { cancelled: false, sent: 0 }
  let asked = Promise.withResolvers<void>()
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(typeof head === 'string' ? encoder.encode(head) : head)
      },
      async pull(controller) {
        asked.resolve()
        await new Promise((resolve) => setTimeout(resolve, EVERY))
        state.sent++
        controller.enqueue(encoder.encode(filler))
      },
      cancel() {
        state.cancelled = true
      },
    },
    { highWaterMark: 0 },
  )
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  try {
    let answer: Response | null = null
    const answered = send(body).then((res) => {
      answer = res
    })
    let elapsed = 0
    for (;;) {
      // Time moves only once the gateway waits for the next byte.
      await Promise.race([asked.promise, answered])
      if (answer) break
      asked = Promise.withResolvers<void>()
      await vi.advanceTimersByTimeAsync(EVERY)
      elapsed += EVERY
    }
    return { res: answer as unknown as Response, elapsed, state }
  } finally {
    vi.useRealTimers()
  }
}

function post(path: string, headers: Record<string, string>, env: object) {
  return (body: ReadableStream<Uint8Array>) =>
    gatewayFetch(new Request(`${GATEWAY_URL}${path}`, { method: 'POST', headers, body }), env)
}

/** Expects the 408 at the deadline, not before, after a byte every 2 s all along. */
async function expectCut({ res, elapsed, state }: Awaited<ReturnType<typeof trickle>>) {
  expect(res.status).toBe(408)
  expect(res.headers.get('x-should-retry')).toBe('false')
  expect(await res.json()).toMatchObject({
    error: { type: 'invalid_request_error', code: 'request_timeout', param: null },
  })
  expect(elapsed).toBeGreaterThanOrEqual(DEFAULT_DEADLINE)
  expect(elapsed).toBeLessThanOrEqual(DEFAULT_DEADLINE + EVERY)
  expect(state.sent).toBeGreaterThanOrEqual(DEFAULT_DEADLINE / EVERY - 1)
  await settled()
  expect(state.cancelled).toBe(true)
}

const json = { 'content-type': 'application/json' }

describe('a body trickled a byte every 2 s is cut at REQUEST_BODY_TIMEOUT_MS (default 60 s)', () => {
  it.each<[string, string, Record<string, string>, Record<string, string>?]>([
    ['a generation', '/v1/images/generations', { authorization: `Bearer ${CLIENT_KEY}` }],
    [
      'an embed signature',
      '/v1/images/embed/sign',
      { authorization: `Bearer ${CLIENT_KEY}` },
      { EMBED_SIGNING_SECRET: 'a-secret-for-tests' },
    ],
    [
      'a new managed key',
      '/v1/admin/keys',
      { authorization: `Bearer ${ADMIN}` },
      { ADMIN_TOKEN: ADMIN },
    ],
  ])('%s (JSON)', async (_label, path, headers, extra = {}) => {
    const fake = fakeUpstream()
    const send = post(path, { ...headers, ...json }, { ...ENVS.remote, ...extra })
    await expectCut(await trickle('{"prompt": "a fox"', ' ', send))
    expect(fake.calls).toHaveLength(0)
  })

  it('an edit in the JSON form, deleting the picture it had stored', async () => {
    const fake = fakeUpstream()
    const head = `{"images": [{"image_url": "${dataUrl(png(64, 64))}"}], "prompt": "x`
    const send = post(
      '/v1/images/edits',
      { authorization: `Bearer ${CLIENT_KEY}`, ...json },
      ENVS.remote,
    )
    await expectCut(await trickle(head, 'x', send))
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })

  it('an edit in multipart, deleting the picture it had stored', async () => {
    const fake = fakeUpstream()
    const boundary = 'trickle-boundary'
    const encoder = new TextEncoder()
    const head = concat([
      encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      png(64, 64),
      encoder.encode(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nx`),
    ])
    const headers = {
      authorization: `Bearer ${CLIENT_KEY}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    }
    await expectCut(await trickle(head, 'x', post('/v1/images/edits', headers, ENVS.remote)))
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })
})
