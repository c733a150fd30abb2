/**
 * The cache across a pool: results of its real upstreams are one (an entry's result answers a
 * request another entry would serve), the demo stays apart, and the key a legacy deployment with
 * OpenAI's default base URL had is the pool's, so moving to UPSTREAMS keeps its stored results.
 */
import { describe, expect, it } from 'vitest'
import { cacheKey, POOL_CACHE_UPSTREAM } from '../../src/cache/cache-key'
import { normalize } from '../../src/schema/image-request'
import { settingsOf } from '../../src/settings'
import { generate, settled } from '../helpers/gateway'
import { poolFakes } from '../helpers/pool'
import { storedKeys } from '../helpers/r2'

const request = { model: 'gpt-image-1' as const, prompt: 'a lighthouse at dawn' }

describe('the cache key of a pool', () => {
  it('is what a legacy deployment keyed by OpenAI’s base URL always had (the recipe unchanged)', async () => {
    const legacy = settingsOf({ UPSTREAM_API_KEY: 'sk-op' }).upstream.baseUrl
    expect(legacy).toBe(POOL_CACHE_UPSTREAM)
    // Pinned: a change of recipe must bump its version instead of silently moving every key.
    expect(await cacheKey(normalize(request), { upstream: legacy, scope: null })).toBe(
      '86383d7297bbf8fdc9c47b2c05b496d01cda1391bd854f438e4170bc47b27149',
    )
  })

  it('stores under that key, answers from it whichever entry would serve, and keeps the demo apart', async () => {
    const fakes = poolFakes()
    const miss = await generate(request, { env: fakes.env(['azure', 'openai']) })
    expect(miss.headers.get('x-cache')).toBe('MISS')
    await miss.arrayBuffer()
    await settled()
    const key = await cacheKey(normalize(request), { upstream: POOL_CACHE_UPSTREAM, scope: null })
    expect(await storedKeys()).toContain(`manifests/${key}.json`)
    const hit = await generate(request, { env: fakes.env(['openai', 'azure']) })
    expect(hit.headers.get('x-cache')).toBe('HIT')
    await hit.arrayBuffer()
    expect(fakes.azure.calls).toHaveLength(1)
    expect(fakes.openai.calls).toHaveLength(0)
    const demo = await generate(request, { env: {} })
    expect(demo.headers.get('x-cache')).toBe('MISS')
    await demo.arrayBuffer()
  })
})
