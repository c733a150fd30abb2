/**
 * The admin API over the request log: requests newest first with picture URLs the gateway
 * serves, usage as JSON and CSV, the admin trail, ADMIN_TOKEN, and 400s naming the parameter.
 */
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { adminFingerprint } from '../../src/log/admin-actions'
import { encodeCursor } from '../../src/log/cursor'
import { writeRequests } from '../../src/log/writer'
import { callGateway, ENVS, fakeUpstream, GATEWAY_URL, settled } from '../helpers/gateway'
import { ADMIN, createKey, env, errorOf } from '../helpers/keys'
import { FILE, OUTCOMES, row, T0 } from '../log/rows'

const headers = { authorization: `Bearer ${ADMIN}` }
const get = (path: string, h: Record<string, string> = headers) =>
  callGateway(path, { env, headers: h })

async function json<T>(path: string): Promise<T> {
  const res = await get(path)
  expect(res.status).toBe(200)
  return (await res.json()) as T
}

/** Each query is a 400 whose error names its parameter. */
async function refusesNaming(path: string, cases: [string, string][]) {
  for (const [query, param] of cases) {
    const res = await get(`${path}?${query}`)
    expect(res.status, query).toBe(400)
    expect((await errorOf(res)).param, query).toBe(param)
  }
}

interface Page {
  data: Record<string, unknown>[]
  next: string | null
}

describe('GET /v1/admin/requests', () => {
  it('pages through rows newest first, with the issue’s fields and picture URLs', async () => {
    fakeUpstream()
    const rows = Object.values(OUTCOMES).map((o, i) => row({ ...o, createdAt: T0 + i }))
    await writeRequests(bindings.USAGE, rows)
    const first = await json<Page>('/v1/admin/requests?limit=4')
    expect(first.data.map((r) => r.id)).toEqual(
      rows
        .toReversed()
        .slice(0, 4)
        .map((r) => r.id),
    )
    const seen = [...first.data]
    let next = first.next
    while (next) {
      const page: Page = await json(`/v1/admin/requests?limit=4&before=${next}`)
      seen.push(...page.data)
      next = page.next
    }
    expect(seen.map((r) => r.id)).toEqual(rows.toReversed().map((r) => r.id))
    const miss = seen.find((r) => r.id === rows[0]?.id)
    expect(Object.keys(miss ?? {})).toEqual(
      expect.arrayContaining([
        ...['id', 'created_at', 'key_id', 'kind', 'model', 'size', 'quality', 'n', 'cache'],
        ...['status', 'code', 'cost_usd', 'saved_usd', 'upstream', 'duration_ms', 'prompt'],
        'images',
      ]),
    )
    expect(miss).toMatchObject({
      created_at: new Date(T0).toISOString(),
      cost_usd: 0.011,
      images: [{ url: `${GATEWAY_URL}/v1/images/${FILE}` }],
    })
  })

  it('filters by key, model, cache and status', async () => {
    fakeUpstream()
    await writeRequests(bindings.USAGE, [
      row({ id: 'a', keyId: 'key_a', cache: 'HIT' }),
      row({ id: 'b', keyId: 'key_b', model: 'gpt-image-1.5', createdAt: T0 + 1 }),
      row({ id: 'c', status: 429, code: 'rate_limit_exceeded', cache: null, createdAt: T0 + 2 }),
    ])
    const ids = async (query: string) =>
      (await json<Page>(`/v1/admin/requests?${query}`)).data.map((r) => r.id)
    expect(await ids('key=key_a')).toEqual(['a'])
    expect(await ids('model=gpt-image-1.5')).toEqual(['b'])
    expect(await ids('cache=HIT')).toEqual(['a'])
    expect(await ids('status=429')).toEqual(['c'])
    expect(await ids('status=200&key=key_abc')).toEqual([])
  })

  it('refuses a bad query with a 400 naming the parameter', async () => {
    fakeUpstream()
    await refusesNaming('/v1/admin/requests', [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['status=abc', 'status'],
      ['cache=hit', 'cache'],
      ['before=not-a-cursor!', 'before'],
      [`before=${encodeCursor({ createdAt: 1, id: 'x' }).slice(1)}`, 'before'],
      ['colour=red', 'colour'],
    ])
  })
})

describe('GET /v1/admin/usage', () => {
  it('sums by day, model and key over whole days, the same as CSV', async () => {
    fakeUpstream()
    const day = 86_400_000
    await writeRequests(bindings.USAGE, [
      row({ createdAt: T0 }),
      row({ createdAt: T0 + 1, ...OUTCOMES.hit }),
      row({ createdAt: T0 + day, ...OUTCOMES.upstreamFailureRefunded }),
      row({ createdAt: T0 + 3 * day }),
    ])
    const byDay = await json<Page>('/v1/admin/usage?from=2026-11-24&to=2026-11-25')
    expect(byDay.data).toEqual([
      {
        period: '2026-11-24',
        requests: 2,
        images: 2,
        cost_usd: 0.011,
        cache_hits: 1,
        saved_usd: 0.011,
        errors: 0,
      },
      {
        period: '2026-11-25',
        requests: 1,
        images: 0,
        cost_usd: 0,
        cache_hits: 0,
        saved_usd: 0,
        errors: 1,
      },
    ])
    const byKey = await json<Page>('/v1/admin/usage?from=2026-11-24&to=2026-11-30&group_by=key')
    expect(byKey.data).toEqual([expect.objectContaining({ key_id: 'key_abc', requests: 4 })])
    const byModel = await json<Page>('/v1/admin/usage?from=2026-11-24&to=2026-11-24&group_by=model')
    expect(byModel.data).toEqual([expect.objectContaining({ model: 'gpt-image-1', requests: 2 })])
    const csv = await get('/v1/admin/usage?from=2026-11-24&to=2026-11-25&format=csv')
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(await csv.text()).toBe(
      'period,requests,images,cost_usd,cache_hits,saved_usd,errors\r\n' +
        '2026-11-24,2,2,0.011,1,0.011,0\r\n2026-11-25,1,0,0,0,0,1\r\n',
    )
  })

  it('refuses a bad range or grouping with a 400 naming the parameter', async () => {
    fakeUpstream()
    await refusesNaming('/v1/admin/usage', [
      ['to=2026-11-24', 'from'],
      ['from=2026-11-24', 'to'],
      ['from=2026-02-30&to=2026-03-01', 'from'],
      ['from=2026-11-24&to=2026-13-01', 'to'],
      ['from=2026-11-24&to=2026-11-23', 'to'],
      ['from=2026-11-24&to=2026-11-24&group_by=week', 'group_by'],
      ['from=2026-11-24&to=2026-11-24&format=xml', 'format'],
      ['from=24/11/2026&to=2026-11-24', 'from'],
    ])
  })
})

describe('the admin trail', () => {
  it('writes every key created, credited and revoked by the token’s fingerprint', async () => {
    fakeUpstream()
    const created = await createKey({ name: 'alice', kind: 'secret', balance_usd: 5 })
    const post = (path: string, body?: unknown) =>
      callGateway(path, { env, headers, body, method: 'POST' })
    expect((await post(`/v1/admin/keys/${created.id}/credit`, { amount_usd: 2.5 })).status).toBe(
      200,
    )
    expect((await post(`/v1/admin/keys/${created.id}/revoke`)).status).toBe(200)
    await settled()
    const trail = await json<Page>('/v1/admin/actions')
    const admin = await adminFingerprint(ADMIN)
    expect(trail.data).toMatchObject([
      { action: 'key.revoke', target: created.id, admin, detail: {} },
      { action: 'key.credit', target: created.id, admin, detail: { amount_usd: 2.5 } },
      {
        action: 'key.create',
        target: created.id,
        admin,
        detail: { name: 'alice', kind: 'secret', balance_usd: 5 },
      },
    ])
    expect(JSON.stringify(trail)).not.toContain(ADMIN)
    expect(JSON.stringify(trail)).not.toContain(created.key)
  })
})

describe('the log’s admin routes', () => {
  const paths = [
    '/v1/admin/requests',
    '/v1/admin/usage?from=2026-11-24&to=2026-11-24',
    '/v1/admin/actions',
  ]

  it('answer 401 without the admin token or with a client key, 403 with the admin API off', async () => {
    fakeUpstream()
    for (const path of paths) {
      expect((await get(path, {})).status, path).toBe(401)
      expect((await get(path, { authorization: 'Bearer gw-client-key-1' })).status, path).toBe(401)
      // Blank is unset, whatever a local .dev.vars (which `npm start` may have written) says.
      const off = await callGateway(path, { env: { ...ENVS.remote, ADMIN_TOKEN: '' }, headers })
      expect(off.status, path).toBe(403)
    }
  })

  it('are described in /openapi.json', async () => {
    fakeUpstream()
    const doc = (await (await get('/openapi.json')).json()) as { paths: Record<string, unknown> }
    for (const path of ['/v1/admin/requests', '/v1/admin/usage', '/v1/admin/actions'])
      expect(doc.paths[path], path).toBeDefined()
  })
})
