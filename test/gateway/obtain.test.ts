/**
 * The gateway core called directly, as a route would, without Hono: a miss joins the generation's
 * owner (the prompt sent upstream once), the same request again is a hit, and a hit's edit
 * pictures are let go of.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { cacheKey } from '../../src/cache/cache-key'
import type { Bindings } from '../../src/env'
import type { GatewayContext } from '../../src/gateway/context'
import { obtain } from '../../src/gateway/obtain'
import type { GenerationCoordinator } from '../../src/generation/coordinator'
import { DEFAULT_MODEL } from '../../src/models'
import { imageRequestSchema, normalize } from '../../src/schema/image-request'
import { settingsOf } from '../../src/settings'
import { generationPayload } from '../../src/upstream/payload'
import { FAKE_UPSTREAM_URL } from '../fakes/upstream'
import { ENVS, fakeUpstream, GATEWAY_URL } from '../helpers/gateway'
import { storedKeys } from '../helpers/r2'

/** A context for an operator's key, recording its background work and timings. */
function context() {
  const background: Promise<unknown>[] = []
  const marks: string[] = []
  const ctx: GatewayContext = {
    settings: settingsOf({ ...ENVS.remote }),
    env: bindings as Bindings,
    principal: { kind: 'operator', keyIndex: 0 },
    origin: GATEWAY_URL,
    waitUntil: (work) => background.push(work),
    timing: {
      start: (name) => marks.push(`start ${name}`),
      end: (name) => marks.push(`end ${name}`),
      metric: (name) => marks.push(`metric ${name}`),
    },
  }
  return { ctx, marks, settled: () => Promise.allSettled(background) }
}

/** The ask of a generation request body, answered as OpenAI's JSON. */
function ask(body: Record<string, unknown>) {
  const input = imageRequestSchema.parse(body)
  const request = normalize(input)
  return { request, payload: generationPayload(input), shape: 'json' as const, replace: false }
}

/** Waits until the owner of `request`'s picture has no work left. */
async function ownerIdle(request: ReturnType<typeof ask>['request']) {
  const key = await cacheKey(request, { upstream: FAKE_UPSTREAM_URL, scope: null })
  const owner = bindings.GENERATIONS.get(bindings.GENERATIONS.idFromName(key))
  await runInDurableObject(owner, (coordinator: GenerationCoordinator) =>
    coordinator.background.idle(),
  )
}

describe('the gateway core', () => {
  it('answers a miss from the owner, then the same request from the cache', async () => {
    const fake = fakeUpstream()
    const first = context()
    const miss = await obtain(first.ctx, ask({ prompt: 'a lighthouse, core', n: 1 }))
    if (miss.kind !== 'response') throw new Error('a JSON answer is a response')
    expect(miss.response.headers.get('x-cache')).toBe('MISS')
    const missed = (await miss.response.json()) as { data: { b64_json: string }[] }
    expect(missed.data).toHaveLength(1)
    expect(first.marks).toEqual([
      'start cache',
      'end cache',
      'start owner',
      'end owner',
      'metric upstream',
    ])
    await ownerIdle(ask({ prompt: 'a lighthouse, core', n: 1 }).request)
    expect(fake.calls).toHaveLength(1)
    const sent = fake.calls[0]?.body ?? {}
    expect(Object.entries(sent)).toEqual([
      ['model', DEFAULT_MODEL],
      ['prompt', 'a lighthouse, core'],
      ['n', 1],
    ])

    const second = context()
    const hit = await obtain(second.ctx, ask({ prompt: 'a lighthouse, core', n: 1 }))
    if (hit.kind !== 'response') throw new Error('a JSON answer is a response')
    expect(hit.response.headers.get('x-cache')).toBe('HIT')
    expect(await hit.response.json()).toEqual(missed)
    await second.settled()
    expect(fake.calls).toHaveLength(1)
  })

  it('lets go of an edit payload’s pictures on a refusal before the owner', async () => {
    fakeUpstream()
    const { ctx, settled } = context()
    await bindings.IMAGES.put('inputs/core/0', new Uint8Array([1, 2, 3]))
    const edit = ask({ prompt: 'a refused edit', output_format: 'webp' })
    const payload = {
      kind: 'edit' as const,
      fields: [['model', DEFAULT_MODEL]] as [string, string][],
      files: [
        {
          field: 'image',
          filename: 'a.png',
          contentType: 'image/png',
          bytes: 3,
          object: 'inputs/core/0',
        },
      ],
    }
    const demo = { ...ctx, settings: settingsOf({}) }
    await expect(obtain(demo, { ...edit, payload })).rejects.toMatchObject({
      failure: { kind: 'invalid_request', param: 'output_format' },
    })
    await settled()
    expect(await storedKeys('inputs/')).toEqual([])
  })
})
