/**
 * The seed's error table, row by row, for upstream failures: status, envelope, retry advice, how
 * often the upstream was called, and that neither the operator's key nor upstream error bodies
 * ever reach the client or a log line.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest'
import { errorReply, type FakeReply, OPERATOR_KEY } from '../fakes/upstream'
import { ENVS, fakeUpstream, generate } from '../helpers/gateway'

/** Planted in every upstream error body; must never come out. */
const UPSTREAM_DETAIL = 'UPSTREAM-INTERNAL-DETAIL-7f3a'

let logs: MockInstance[] = []
beforeEach(() => {
  logs = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    vi.spyOn(console, level),
  )
})
afterEach(() => {
  const printed = logs
    .flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(' ')))
    .join('\n')
  expect(printed).not.toContain(OPERATOR_KEY)
  expect(printed).not.toContain(UPSTREAM_DETAIL)
  vi.restoreAllMocks()
})

async function expectNoLeak(res: Response) {
  const text = await res.clone().text()
  const headers = JSON.stringify([...res.headers])
  for (const secret of [OPERATOR_KEY, UPSTREAM_DETAIL]) {
    expect(text).not.toContain(secret)
    expect(headers).not.toContain(secret)
  }
}

const detail = { message: `Something failed: ${UPSTREAM_DETAIL} key=${OPERATOR_KEY}` }

/** [label, replies, status, code, x-should-retry, upstream calls] */
const rows: [string, FakeReply[], number, string, string, number][] = [
  [
    '429 rate limit',
    [
      errorReply(
        429,
        { ...detail, type: 'requests', code: 'rate_limit_exceeded' },
        { 'retry-after': '17' },
      ),
    ],
    429,
    'rate_limit_exceeded',
    'true',
    1,
  ],
  [
    '429 insufficient quota (the operator is out of credit)',
    [errorReply(429, { ...detail, type: 'insufficient_quota', code: 'insufficient_quota' })],
    500,
    'upstream_quota_exhausted',
    'false',
    1,
  ],
  [
    '500 twice',
    [errorReply(500, detail), errorReply(500, detail)],
    500,
    'upstream_unavailable',
    'true',
    2,
  ],
  [
    '502 then 503',
    [errorReply(502, detail), errorReply(503, detail)],
    500,
    'upstream_unavailable',
    'true',
    2,
  ],
  [
    'network failure twice',
    [{ kind: 'network_error' }, { kind: 'network_error' }],
    500,
    'upstream_unavailable',
    'true',
    2,
  ],
  [
    'no headers before the deadline, twice',
    [{ kind: 'stall' }, { kind: 'stall' }],
    500,
    'upstream_unavailable',
    'true',
    2,
  ],
  [
    '401: the operator key is rejected',
    [errorReply(401, { ...detail, code: 'invalid_api_key' })],
    500,
    'upstream_credentials_rejected',
    'false',
    1,
  ],
  [
    '403: the operator key may not do this',
    [errorReply(403, { ...detail, code: 'model_not_found' })],
    500,
    'upstream_credentials_rejected',
    'false',
    1,
  ],
  [
    '400 moderation_blocked',
    [
      errorReply(400, {
        message: 'Your request was rejected by the safety system.',
        type: 'image_generation_user_error',
        code: 'moderation_blocked',
      }),
    ],
    400,
    'moderation_blocked',
    'false',
    1,
  ],
  [
    '400 content_policy_violation',
    [
      errorReply(400, {
        message: 'Your request was rejected as a result of our safety system.',
        code: 'content_policy_violation',
      }),
    ],
    400,
    'content_policy_violation',
    'false',
    1,
  ],
  [
    '400 other',
    [errorReply(400, { ...detail, param: 'size', code: 'invalid_value' })],
    400,
    'invalid_value',
    'false',
    1,
  ],
  [
    '500 answered with something that is not JSON',
    [
      { kind: 'json', status: 500, body: `<html>${UPSTREAM_DETAIL}</html>` },
      errorReply(500, detail),
    ],
    500,
    'upstream_unavailable',
    'true',
    2,
  ],
]

/**
 * A short header deadline only where an upstream stalls: any other reply must not race it, so the
 * answers that do come are never mistaken for a timeout on a busy machine.
 */
const timeoutFor = (replies: FakeReply[]) =>
  replies.some((reply) => reply.kind === 'stall') ? { UPSTREAM_TIMEOUT_MS: '300' } : {}

describe('upstream failures map to the seed error table', () => {
  it.each(rows)('%s', async (_label, replies, status, code, retry, calls) => {
    const fake = fakeUpstream().reply(...replies)
    const res = await generate(
      { prompt: 'a fox' },
      { env: { ...ENVS.remote, ...timeoutFor(replies) } },
    )
    expect(res.status).toBe(status)
    expect(res.headers.get('x-should-retry')).toBe(retry)
    await expectNoLeak(res)
    const { error } = (await res.json()) as { error: Record<string, unknown> }
    expect(error.code).toBe(code)
    expect(error.message).toBeTypeOf('string')
    expect(fake.calls).toHaveLength(calls)
  })

  it('passes Retry-After on with a 429', async () => {
    fakeUpstream().reply(errorReply(429, { code: 'rate_limit_exceeded' }, { 'retry-after': '17' }))
    const res = await generate({ prompt: 'a fox' })
    expect(res.headers.get('retry-after')).toBe('17')
  })

  it('keeps the moderation message, which tells the user what happened', async () => {
    const message = 'Your request was rejected by the safety system. safety_violations=[violence].'
    fakeUpstream().reply(
      errorReply(400, { message, type: 'image_generation_user_error', code: 'moderation_blocked' }),
    )
    const { error } = (await (await generate({ prompt: 'a fox' })).json()) as {
      error: Record<string, unknown>
    }
    // OpenAI's own code and type, so code written against OpenAI matches the same block.
    expect(error).toEqual({
      message,
      type: 'image_generation_user_error',
      param: null,
      code: 'moderation_blocked',
    })
  })

  it('names the parameter an upstream 400 refers to', async () => {
    fakeUpstream().reply(errorReply(400, { ...detail, param: 'size', code: 'invalid_value' }))
    const { error } = (await (await generate({ prompt: 'a fox' })).json()) as {
      error: Record<string, unknown>
    }
    expect(error.param).toBe('size')
    expect(error.message).toContain("'size'")
  })

  it.each([
    ['500', errorReply(500, detail)],
    ['503', errorReply(503, detail)],
    ['a network failure', { kind: 'network_error' } as FakeReply],
    ['a timeout', { kind: 'stall' } as FakeReply],
  ])('retries once after %s and answers with the second result', async (_label, first) => {
    const fake = fakeUpstream().reply(first, { kind: 'success', requestId: 'req_second' })
    const res = await generate(
      { prompt: 'a fox' },
      { env: { ...ENVS.remote, ...timeoutFor([first]) } },
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('req_second')
    expect(fake.calls).toHaveLength(2)
  })

  it('does not retry a 4xx', async () => {
    const fake = fakeUpstream().reply(errorReply(400, { code: 'invalid_value' }), {
      kind: 'success',
    })
    const res = await generate({ prompt: 'a fox' })
    expect(res.status).toBe(400)
    expect(fake.calls).toHaveLength(1)
  })

  it('waits for slow upstreams within the deadline', async () => {
    fakeUpstream().reply({ kind: 'delay', ms: 30, reply: { kind: 'success' } })
    const res = await generate(
      { prompt: 'a fox' },
      { env: { ...ENVS.remote, UPSTREAM_TIMEOUT_MS: '2000' } },
    )
    expect(res.status).toBe(200)
  })
})
