/**
 * The gateway core names the upstream that served a miss (for the operator's request log), and
 * no upstream for a hit.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env as bindings } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { cacheKey, POOL_CACHE_UPSTREAM } from '../../src/cache/cache-key'
import type { Bindings } from '../../src/env'
import type { GatewayContext } from '../../src/gateway/context'
import { obtain } from '../../src/gateway/obtain'
import type { GenerationCoordinator } from '../../src/generation/coordinator'
import { imageRequestSchema, normalize } from '../../src/schema/image-request'
import { settingsOf } from '../../src/settings'
import { generationPayload } from '../../src/upstream/payload'
import { GATEWAY_URL } from '../helpers/gateway'
import { poolFakes } from '../helpers/pool'

describe('the core’s answer to a pooled miss', () => {
  it('names the serving upstream; a hit names none', async () => {
    const fakes = poolFakes()
    const settings = settingsOf({ ...fakes.env(['azure']) })
    const ctx: GatewayContext = {
      settings,
      env: bindings as Bindings,
      principal: { kind: 'operator', keyIndex: 0 },
      origin: GATEWAY_URL,
      waitUntil: () => {},
      timing: { start: () => {}, end: () => {}, metric: () => {} },
    }
    const input = imageRequestSchema.parse({ model: 'gpt-image-1', prompt: 'named, core' })
    const request = normalize(input)
    const ask = {
      request,
      payload: generationPayload(input),
      shape: 'json' as const,
      replace: false,
    }
    const miss = await obtain(ctx, ask)
    if (miss.kind !== 'response') throw new Error('a JSON answer is a response')
    expect(miss.upstream).toBe(fakes.names.azure)
    await miss.response.arrayBuffer()
    const key = await cacheKey(request, { upstream: POOL_CACHE_UPSTREAM, scope: null })
    const owner = bindings.GENERATIONS.get(bindings.GENERATIONS.idFromName(key))
    await runInDurableObject(owner, (coordinator: GenerationCoordinator) =>
      coordinator.background.idle(),
    )
    const hit = await obtain(ctx, ask)
    if (hit.kind !== 'response') throw new Error('a JSON answer is a response')
    expect(hit.response.headers.get('x-cache')).toBe('HIT')
    expect(hit.upstream ?? null).toBeNull()
    await hit.response.arrayBuffer()
  })
})
