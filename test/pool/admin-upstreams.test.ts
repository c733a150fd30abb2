/**
 * GET /v1/admin/upstreams: the operator's view of the pool after real traffic (a refused key
 * takes an upstream out; the one that served counts its image against its capacity), behind
 * ADMIN_TOKEN, described in /openapi.json, naming no key or URL.
 */
import { describe, expect, it } from 'vitest'
import { AZURE_KEY, FAKE_AZURE_URL } from '../fakes/azure'
import { FAKE_UPSTREAM_URL, OPERATOR_KEY } from '../fakes/upstream'
import { callGateway, ENVS, generate } from '../helpers/gateway'
import { poolFakes } from '../helpers/pool'

const ADMIN = 'admin-token-for-tests'

describe('GET /v1/admin/upstreams', () => {
  it('shows each upstream’s state, use against capacity, last error and queue', async () => {
    const fakes = poolFakes({ openaiPerMinute: 5 })
    fakes.azure.reply({ kind: 'json', status: 401, body: { error: { code: '401', message: 'x' } } })
    const env = fakes.env(['azure', 'openai'], { ADMIN_TOKEN: ADMIN })
    const served = await generate({ model: 'gpt-image-1', prompt: 'a view' }, { env })
    expect(served.status).toBe(200)
    await served.arrayBuffer()
    expect((await callGateway('/v1/admin/upstreams', { env })).status).toBe(401)
    const res = await callGateway('/v1/admin/upstreams', {
      env,
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    for (const secret of [AZURE_KEY, OPERATOR_KEY, FAKE_AZURE_URL, FAKE_UPSTREAM_URL])
      expect(text).not.toContain(secret)
    const body = JSON.parse(text)
    expect(body).toMatchObject({
      object: 'list',
      pooled: true,
      data: [
        {
          name: fakes.names.azure,
          kind: 'azure',
          state: 'disabled',
          images_last_minute: 1,
          capacity: null,
          last_error: { category: 'credentials_rejected' },
          queue_length: 0,
        },
        {
          name: fakes.names.openai,
          kind: 'openai',
          state: 'healthy',
          images_last_minute: 1,
          capacity: 5,
          capacity_source: 'declared',
          last_error: null,
          queue_length: 0,
        },
      ],
    })
    expect(Date.parse(body.data[0].last_error.at)).not.toBeNaN()
  })

  it('lists nothing for the legacy upstream, and is in /openapi.json', async () => {
    const env = { ...ENVS.remote, ADMIN_TOKEN: ADMIN }
    const res = await callGateway('/v1/admin/upstreams', {
      env,
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(await res.json()).toEqual({ object: 'list', pooled: false, data: [] })
    const document = (await (await callGateway('/openapi.json', { env })).json()) as {
      paths: Record<string, { get?: { tags?: string[] } }>
    }
    expect(document.paths['/v1/admin/upstreams']?.get?.tags).toEqual(['Admin'])
  })
})
