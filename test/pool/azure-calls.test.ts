/**
 * The translation against the fake Azure resource, end to end: what prepareCall builds is what
 * Azure takes on both routes (JSON and multipart edits, streams with partial images), and what
 * Azure answers (content filters, 429s, outages) reads as the gateway's failures.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Failure } from '../../src/failure'
import { failureFromAzure } from '../../src/pool/azure-errors'
import { type PreparedCall, prepareCall } from '../../src/pool/upstream-call'
import type { PoolEntry } from '../../src/pool-config/entry'
import { upstreamFields } from '../../src/schema/image-request'
import { multipartBody } from '../../src/upstream/multipart-body'
import type { UpstreamPayload } from '../../src/upstream/payload'
import { AZURE_KEY, FAKE_AZURE_URL, FakeAzure } from '../fakes/azure'
import { TINY_PNG_B64 } from '../fakes/upstream'
import { readEvents } from '../helpers/sse'
import { azureEntry } from './entries'

afterEach(() => {
  vi.useRealTimers()
})

const PNG = Uint8Array.from(atob(TINY_PNG_B64), (c) => c.charCodeAt(0))
const DEPLOYMENTS = { img1: 'gpt-image-1', mini: 'gpt-image-1-mini' } as const

const entry = (overrides: Partial<PoolEntry> = {}) =>
  azureEntry({ baseUrl: FAKE_AZURE_URL, apiKey: AZURE_KEY, ...overrides })

/** The request a client built from a prepared call would send (the owner's client does this). */
function requestOf(call: PreparedCall, signal?: AbortSignal): Request {
  const { payload } = call
  const { body, contentType } =
    payload.kind === 'generation'
      ? {
          body: JSON.stringify({ ...payload.fields, prompt: 'a red circle' }),
          contentType: 'application/json',
        }
      : multipartBody(
          payload.fields,
          payload.files,
          async () => new Response(PNG).body as ReadableStream<Uint8Array>,
        )
  return new Request(call.url, {
    method: 'POST',
    headers: { ...call.headers, 'content-type': contentType },
    body,
    redirect: call.redirect,
    signal,
  })
}

const generation = (fields: Record<string, unknown>): UpstreamPayload => ({
  kind: 'generation',
  fields: upstreamFields({ prompt: 'a red circle', ...fields }),
})

const edit = (fields: [string, string][]): UpstreamPayload => ({
  kind: 'edit',
  fields: [['model', 'gpt-image-1'], ['prompt', 'add a hat'], ...fields],
  files: [
    {
      field: 'image[]',
      filename: 'in.png',
      contentType: 'image/png',
      bytes: PNG.length,
      object: 'o',
    },
  ],
})

async function send(fake: FakeAzure, target: PoolEntry, payload: UpstreamPayload) {
  return fake.fetch(requestOf(prepareCall(target, payload)))
}

async function failureOf(response: Response): Promise<Failure> {
  return failureFromAzure(response, Date.now())
}

describe('calls to Azure', () => {
  it.each(['2025-04-01-preview', 'v1'])(
    '%s: a generation is answered in Azure’s documented shape',
    async (version) => {
      const fake = new FakeAzure({ deployments: DEPLOYMENTS })
      const response = await send(
        fake,
        entry({ apiVersion: version }),
        generation({ n: 2, moderation: 'auto' }),
      )
      expect(response.status).toBe(200)
      const body = (await response.json()) as Record<string, unknown>
      expect(Object.keys(body).sort()).toEqual(['created', 'data', 'usage'])
      expect(body.data).toHaveLength(2)
      expect(fake.calls[0]).toMatchObject({ deployment: 'img1', headers: { 'api-key': AZURE_KEY } })
      expect(fake.calls[0]?.headers.authorization).toBeUndefined()
    },
  )

  it('the fake refuses what the translation leaves out: a model name, moderation, response_format, webp', async () => {
    const fake = new FakeAzure({ deployments: DEPLOYMENTS })
    const classic = `${FAKE_AZURE_URL}/openai/deployments/img1/images/generations?api-version=2025-04-01-preview`
    const raw = (body: unknown) =>
      fake.fetch(
        new Request(classic, {
          method: 'POST',
          headers: { 'api-key': AZURE_KEY, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      )
    const cases: [unknown, string][] = [
      [{ model: 'img1', prompt: 'p' }, 'model'],
      [{ prompt: 'p', moderation: 'low' }, 'moderation'],
      [{ prompt: 'p', response_format: 'b64_json' }, 'response_format'],
      [{ prompt: 'p', output_format: 'webp' }, 'output_format'],
      [{ prompt: 'p', size: '2048x2048' }, 'size'],
    ]
    for (const [body, param] of cases) {
      const failure = await failureOf(await raw(body))
      expect(failure).toMatchObject({ kind: 'upstream_rejected', param })
    }
    expect((await raw({ model: 'gpt-image-1', prompt: 'p' })).status).toBe(200)
  })

  it('edits: multipart to both routes, the deployment in the path or as the model field', async () => {
    const fake = new FakeAzure({ deployments: DEPLOYMENTS })
    const classic = await send(fake, entry(), edit([['input_fidelity', 'high']]))
    expect(classic.status).toBe(200)
    const v1 = await send(fake, entry({ apiVersion: 'v1' }), edit([['quality', 'low']]))
    expect(v1.status).toBe(200)
    expect(fake.calls.map((c) => [c.path, c.body.model, c.parts])).toEqual([
      ['/openai/deployments/img1/images/edits', undefined, ['prompt', 'input_fidelity', 'image[]']],
      ['/openai/v1/images/edits', 'img1', ['model', 'prompt', 'quality', 'image[]']],
    ])
    expect(fake.calls[0]?.files?.[0]).toMatchObject({ field: 'image[]', bytes: PNG.length })
  })

  it('streams partial images under OpenAI’s event names, edits too', async () => {
    const fake = new FakeAzure({ deployments: DEPLOYMENTS })
    const generated = await send(fake, entry(), generation({ stream: true, partial_images: 2 }))
    expect((await readEvents(generated)).map((e) => e.event)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ])
    const edited = await send(
      fake,
      entry({ apiVersion: 'v1' }),
      edit([
        ['stream', 'true'],
        ['partial_images', '1'],
      ]),
    )
    expect((await readEvents(edited)).map((e) => e.event)).toEqual([
      'image_edit.partial_image',
      'image_edit.completed',
    ])
  })

  it.each(['contentFilter', 'content_policy_violation', 'moderation_blocked'] as const)(
    'content filter %s reads as OpenAI’s moderation block',
    async (shape) => {
      const fake = new FakeAzure({ deployments: DEPLOYMENTS }).reply({
        kind: 'content_filter',
        shape,
      })
      const failure = await failureOf(await send(fake, entry(), generation({})))
      expect(failure).toMatchObject({
        kind: 'content_policy',
        code: 'moderation_blocked',
        type: 'image_generation_user_error',
      })
    },
  )

  it('a full minute answers 429 with retry-after-ms, read to the millisecond', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_800_000_000_000 })
    const fake = new FakeAzure({ deployments: DEPLOYMENTS, imagesPerMinute: 3 })
    expect((await send(fake, entry(), generation({ n: 2 }))).status).toBe(200)
    vi.setSystemTime(1_800_000_010_000)
    const limited = await send(fake, entry(), generation({ n: 2 }))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after-ms')).toBe('50000')
    expect(await failureOf(limited)).toEqual({ kind: 'upstream_rate_limited', retryAfter: '50' })
    expect(fake.rateLimited).toBe(1)
    vi.setSystemTime(1_800_000_060_000)
    expect((await send(fake, entry(), generation({ n: 2 }))).status).toBe(200)
  })

  it('keys: a wrong key, or a Bearer key on the classic route, is refused', async () => {
    const fake = new FakeAzure({ deployments: DEPLOYMENTS })
    const wrong = await send(fake, entry({ apiKey: 'nope' }), generation({}))
    expect(await failureOf(wrong)).toEqual({ kind: 'upstream_credentials_rejected' })
    const call = prepareCall(entry(), generation({}))
    const bearer = { ...call, headers: { authorization: `Bearer ${AZURE_KEY}` } }
    expect((await fake.fetch(requestOf(bearer))).status).toBe(401)
  })

  it('outages switched on and off mid-test: 5xx, connection errors, stalls', async () => {
    const fake = new FakeAzure({ deployments: DEPLOYMENTS })
    fake.outage = 'status'
    expect(await failureOf(await send(fake, entry(), generation({})))).toEqual({
      kind: 'upstream_unavailable',
      cause: 'status',
    })
    fake.outage = 'network'
    await expect(send(fake, entry(), generation({}))).rejects.toThrow(/Network/)
    fake.outage = 'stall'
    const controller = new AbortController()
    const stalled = fake.fetch(requestOf(prepareCall(entry(), generation({})), controller.signal))
    controller.abort()
    await expect(stalled).rejects.toThrow(/aborted/)
    fake.outage = null
    expect((await send(fake, entry(), generation({}))).status).toBe(200)
  })

  it('a missing deployment is the entry’s fault: unavailable, so another entry may serve', async () => {
    const fake = new FakeAzure({ deployments: { other: 'gpt-image-1' } })
    expect(await failureOf(await send(fake, entry(), generation({})))).toEqual({
      kind: 'upstream_unavailable',
      cause: 'status',
    })
  })
})
