/**
 * The pool wired end to end: the owner's call goes to an eligible upstream (OpenAI or Azure,
 * translated), Azure's answers reach clients in OpenAI's shapes, refusals happen before any
 * call, and failover before the first byte on each fault kind; clients never see names or URLs.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FAKE_AZURE_URL, type FakeAzure } from '../fakes/azure'
import { FAKE_UPSTREAM_URL, TINY_PNG_B64 } from '../fakes/upstream'
import { generate, settled } from '../helpers/gateway'
import { poolFakes } from '../helpers/pool'
import { readEvents } from '../helpers/sse'

afterEach(() => {
  vi.restoreAllMocks()
})

/** Nothing that names an upstream: its name, its host. */
async function expectAnonymous(res: Response, names: string[]) {
  const text = await res.clone().text()
  const headers = JSON.stringify([...res.headers])
  for (const secret of [...names, 'azure', FAKE_AZURE_URL, FAKE_UPSTREAM_URL]) {
    expect(text).not.toContain(secret)
    expect(headers).not.toContain(secret)
  }
}

const prompt = (label: string) => `${label} ${crypto.randomUUID()}`

describe('a pool of OpenAI and Azure', () => {
  it('serves a generation through Azure in OpenAI’s shape, with usage and the request’s fields', async () => {
    const fakes = poolFakes()
    const log = vi.spyOn(console, 'log')
    const res = await generate(
      { model: 'gpt-image-1', prompt: prompt('a fox'), size: '1024x1024' },
      { env: fakes.env() },
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('x-upstream')).toBe('remote')
    await expectAnonymous(res, [fakes.names.azure, fakes.names.openai])
    const body = (await res.json()) as Record<string, unknown>
    expect(body.data).toEqual([{ b64_json: TINY_PNG_B64 }])
    expect(body).toMatchObject({
      size: '1024x1024',
      output_format: 'png',
      usage: { total_tokens: 1106 },
    })
    const [call] = fakes.azure.calls
    expect(call?.path).toBe('/openai/deployments/img1/images/generations')
    expect(call?.headers['api-key']).toBeDefined()
    expect(call?.headers.authorization).toBeUndefined()
    expect(call?.body.model).toBeUndefined()
    expect(fakes.openai.calls).toHaveLength(0)
    await settled()
    const lines = log.mock.calls.map(([line]) => String(line))
    expect(lines.some((line) => line.includes(`"upstream":"${fakes.names.azure}"`))).toBe(true)
  })

  it('routes by capability: gpt-image-2 and webp only to OpenAI, and refuses what none can', async () => {
    const fakes = poolFakes()
    for (const body of [
      { model: 'gpt-image-2', prompt: prompt('a') },
      { model: 'gpt-image-1', prompt: prompt('b'), output_format: 'webp' },
    ]) {
      const res = await generate(body, { env: fakes.env() })
      expect(res.status).toBe(200)
    }
    expect(fakes.azure.calls).toHaveLength(0)
    expect(fakes.openai.calls).toHaveLength(2)
    const refused = await generate(
      { model: 'gpt-image-1', prompt: prompt('c'), output_format: 'webp' },
      { env: fakes.env(['azure']) },
    )
    expect(refused.status).toBe(400)
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe(
      'output_format',
    )
    expect(fakes.azure.calls).toHaveLength(0)
  })

  it('answers Azure’s content filter as the moderation_blocked 400, without failing over', async () => {
    const fakes = poolFakes()
    fakes.azure.reply({ kind: 'content_filter', shape: 'contentFilter' })
    const res = await generate({ model: 'gpt-image-1', prompt: prompt('x') }, { env: fakes.env() })
    expect(res.status).toBe(400)
    const { error } = (await res.json()) as { error: Record<string, unknown> }
    expect(error).toMatchObject({ code: 'moderation_blocked', type: 'image_generation_user_error' })
    expect(fakes.openai.calls).toHaveLength(0)
  })

  it('streams partial images through Azure as OpenAI’s events', async () => {
    const fakes = poolFakes()
    const res = await generate(
      { model: 'gpt-image-1', prompt: prompt('s'), stream: true, partial_images: 2 },
      { env: fakes.env(['azure']) },
    )
    expect(res.status).toBe(200)
    const events = await readEvents(res)
    expect(events.map((event) => event.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    expect(fakes.azure.calls[0]?.body.stream).toBe(true)
  })
})

describe('failover before the first byte', () => {
  const faults: [string, (azure: FakeAzure) => void][] = [
    [
      'a 5xx',
      (azure) => {
        azure.outage = 'status'
      },
    ],
    [
      'a connection error',
      (azure) => {
        azure.outage = 'network'
      },
    ],
    [
      'a timeout',
      (azure) => {
        azure.outage = 'stall'
      },
    ],
    [
      'a 429',
      (azure) => {
        azure.reply({
          kind: 'json',
          status: 429,
          body: { error: { code: '429', message: 'x' } },
          headers: { 'retry-after': '30' },
        })
      },
    ],
    [
      'a rejected key',
      (azure) => {
        azure.reply({ kind: 'json', status: 401, body: { error: { code: '401', message: 'x' } } })
      },
    ],
  ]
  it.each(faults)(
    'moves on to the next upstream after %s, costing the client nothing',
    async (_, fault) => {
      const fakes = poolFakes()
      fault(fakes.azure)
      const errors = vi.spyOn(console, 'error')
      const res = await generate(
        { model: 'gpt-image-1', prompt: prompt('f') },
        { env: fakes.env(['azure', 'openai'], { UPSTREAM_TIMEOUT_MS: '200' }) },
      )
      expect(res.status).toBe(200)
      await expectAnonymous(res, [fakes.names.azure, fakes.names.openai])
      expect(fakes.azureFetches).toBe(1)
      expect(fakes.openai.calls).toHaveLength(1)
      fakes.azure.outage = null
      if (_ === 'a rejected key') {
        const lines = errors.mock.calls.map(([line]) => String(line))
        expect(
          lines.some(
            (line) => line.includes('upstream_disabled') && line.includes(fakes.names.azure),
          ),
        ).toBe(true)
      }
    },
  )

  it('never fails over once the answer has begun', async () => {
    const fakes = poolFakes()
    fakes.azure.reply({ kind: 'stream_error', code: 'server_error' })
    const res = await generate(
      { model: 'gpt-image-1', prompt: prompt('m'), stream: true, partial_images: 1 },
      { env: fakes.env() },
    )
    const events = await readEvents(res)
    expect(events.map((event) => event.event)).toEqual(['image_generation.partial_image', 'error'])
    expect(fakes.openai.calls).toHaveLength(0)
  })
})
