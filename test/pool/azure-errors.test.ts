/**
 * Azure's errors as the gateway's failures, table-tested: each content-filter shape is OpenAI's
 * moderation block, 429s keep their wait, keys and abuse blocks take the entry out; and how each
 * failure reads as an outcome for the pool.
 */
import { describe, expect, it } from 'vitest'
import type { Failure } from '../../src/failure'
import {
  classifyAzureError,
  failureFromAzure,
  failureFromAzureEvent,
  retryAfterMs,
} from '../../src/pool/azure-errors'
import { outcomeOf } from '../../src/pool/outcome'

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0)
const MODERATED = { code: 'moderation_blocked', type: 'image_generation_user_error' }

describe('classifyAzureError', () => {
  const cases: [string, number, Record<string, string>, unknown, Partial<Failure>][] = [
    [
      'contentFilter (documented)',
      400,
      {},
      {
        created: 1698435368,
        error: {
          code: 'contentFilter',
          message: 'Your task failed as a result of our safety system.',
        },
      },
      {
        kind: 'content_policy',
        message: 'Your task failed as a result of our safety system.',
        ...MODERATED,
      },
    ],
    [
      'content_policy_violation with inner_error',
      400,
      {},
      {
        error: {
          code: 'content_policy_violation',
          type: 'invalid_request_error',
          message: 'Your request was rejected as a result of our safety system.',
          inner_error: { code: 'ResponsibleAIPolicyViolation', content_filter_results: {} },
        },
      },
      { kind: 'content_policy', ...MODERATED },
    ],
    [
      'inner_error alone',
      400,
      {},
      { error: { code: 'BadRequest', inner_error: { code: 'ResponsibleAIPolicyViolation' } } },
      { kind: 'content_policy', ...MODERATED },
    ],
    [
      'moderation_blocked (newer models)',
      400,
      {},
      { error: { code: 'moderation_blocked', type: 'image_generation_user_error', param: '' } },
      {
        kind: 'content_policy',
        ...MODERATED,
        message: 'Your request was rejected by the safety system.',
      },
    ],
    [
      'a message naming Azure is replaced',
      400,
      {},
      { error: { code: 'content_filter', message: 'Azure OpenAI content management policy.' } },
      { kind: 'content_policy', message: 'Your request was rejected by the safety system.' },
    ],
    [
      '429 with retry-after-ms',
      429,
      { 'retry-after-ms': '2500', 'retry-after': '45' },
      { error: { code: '429', message: 'Requests … Please retry after 45 seconds.' } },
      { kind: 'upstream_rate_limited', retryAfter: '3' },
    ],
    [
      '429 with retry-after',
      429,
      { 'retry-after': '45' },
      null,
      { kind: 'upstream_rate_limited', retryAfter: '45' },
    ],
    ['429 without a wait', 429, {}, null, { kind: 'upstream_rate_limited', retryAfter: null }],
    [
      '429 insufficient_quota',
      429,
      {},
      { error: { code: 'insufficient_quota' } },
      { kind: 'upstream_quota_exhausted' },
    ],
    [
      '401',
      401,
      {},
      { error: { code: '401', message: 'Access denied' } },
      { kind: 'upstream_credentials_rejected' },
    ],
    [
      '403 resource blocked (not the client’s fault)',
      403,
      {},
      {
        error: {
          code: 'Forbidden',
          message: 'Your resource has been temporarily blocked because … content policy.',
        },
      },
      { kind: 'upstream_credentials_rejected' },
    ],
    [
      '404 deployment missing',
      404,
      {},
      { error: { code: 'DeploymentNotFound' } },
      { kind: 'upstream_unavailable', cause: 'status' },
    ],
    ['500', 500, {}, null, { kind: 'upstream_unavailable', cause: 'status' }],
    [
      '503',
      503,
      {},
      { error: { code: 'ServiceUnavailable' } },
      { kind: 'upstream_unavailable', cause: 'status' },
    ],
    ['408', 408, {}, null, { kind: 'upstream_unavailable', cause: 'timeout' }],
    [
      '400 unknown parameter',
      400,
      {},
      {
        error: {
          code: 'unknown_parameter',
          param: 'response_format',
          message: "Unknown parameter: 'response_format'.",
        },
      },
      { kind: 'upstream_rejected', param: 'response_format', code: 'unknown_parameter' },
    ],
  ]

  it.each(cases)('%s', (_, status, headers, body, expected) => {
    expect(classifyAzureError(status, new Headers(headers), body, NOW)).toEqual(
      expect.objectContaining(expected),
    )
  })

  it('reads a real answer’s body (at most 64 KiB), and classifies a non-JSON one by status', async () => {
    const answer = Response.json(
      { error: { code: 'contentFilter', message: 'Blocked.' } },
      { status: 400 },
    )
    expect(await failureFromAzure(answer, NOW)).toMatchObject({
      kind: 'content_policy',
      message: 'Blocked.',
    })
    const html = new Response('<html>bad gateway</html>', { status: 400 })
    expect(await failureFromAzure(html, NOW)).toEqual({
      kind: 'upstream_rejected',
      param: null,
      code: null,
    })
    const huge = new Response(
      `{"error":{"code":"contentFilter","message":"${'x'.repeat(200_000)}"}}`,
      {
        status: 400,
      },
    )
    expect(await failureFromAzure(huge, NOW)).toEqual({
      kind: 'upstream_rejected',
      param: null,
      code: null,
    })
  })

  it('stream error events: a content filter is a moderation block, anything else a failure', () => {
    expect(
      failureFromAzureEvent('{"error":{"code":"contentFilter","message":"No."}}'),
    ).toMatchObject({
      kind: 'content_policy',
      ...MODERATED,
      message: 'No.',
    })
    expect(failureFromAzureEvent('{"type":"error","code":"content_filter"}')).toMatchObject({
      kind: 'content_policy',
    })
    expect(failureFromAzureEvent('{"error":{"code":"server_error"}}')).toEqual({
      kind: 'upstream_unavailable',
      cause: 'status',
    })
    expect(failureFromAzureEvent('not json')).toEqual({
      kind: 'upstream_unavailable',
      cause: 'status',
    })
  })
})

describe('retryAfterMs', () => {
  it.each([
    [{ 'retry-after-ms': '1500' }, 1500],
    [{ 'retry-after-ms': '12.2', 'retry-after': '60' }, 13],
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': new Date(NOW + 7000).toUTCString() }, 7000],
    [{ 'retry-after': new Date(NOW - 7000).toUTCString() }, 0],
    [{ 'retry-after-ms': '-1', 'retry-after': '3' }, 3000],
    [{ 'retry-after': 'soon' }, null],
    [{}, null],
  ])('%j → %s', (headers, expected) => {
    expect(retryAfterMs(new Headers(headers), NOW)).toBe(expected)
  })
})

describe('outcomeOf', () => {
  it.each<[Failure | null, unknown]>([
    [null, { kind: 'answered' }],
    [
      { kind: 'content_policy', message: 'm', code: 'moderation_blocked', type: 't' },
      { kind: 'answered' },
    ],
    [{ kind: 'upstream_rejected', param: 'size', code: null }, { kind: 'answered' }],
    [
      { kind: 'upstream_rate_limited', retryAfter: '3' },
      { kind: 'rate_limited', retryAfterMs: 3000 },
    ],
    [
      { kind: 'upstream_rate_limited', retryAfter: null },
      { kind: 'rate_limited', retryAfterMs: null },
    ],
    [{ kind: 'upstream_quota_exhausted' }, { kind: 'quota_exhausted' }],
    [{ kind: 'upstream_credentials_rejected' }, { kind: 'credentials_rejected' }],
    [
      { kind: 'upstream_unavailable', cause: 'timeout' },
      { kind: 'failed', cause: 'timeout' },
    ],
    [{ kind: 'internal' }, { kind: 'abandoned' }],
  ])('%j', (failure, expected) => {
    expect(outcomeOf(failure)).toEqual(expected)
  })

  it('prefers the exact wait the caller read from the headers', () => {
    expect(outcomeOf({ kind: 'upstream_rate_limited', retryAfter: '3' }, 2500)).toEqual({
      kind: 'rate_limited',
      retryAfterMs: 2500,
    })
  })
})
