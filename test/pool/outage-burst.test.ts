/**
 * An outage of one upstream during a burst costs clients nothing, through the gateway: the burst
 * fails over and queues for the healthy upstream's capacity, every client gets its image, each is
 * charged once, the failed upstream's circuit opens and, after its pause, one probe closes it.
 * The pool's clock moves by fake Date and its alarm is run by hand; Azure's calls wait on a gate.
 */
import { runDurableObjectAlarm } from 'cloudflare:test'
import { env as testEnv } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { costOf } from '../../src/billing/prices'
import { POOL_OBJECT_NAME } from '../../src/pool/upstream-pool'
import { gate } from '../fakes/upstream'
import { callGateway, settled } from '../helpers/gateway'
import { ADMIN, createKey, usage } from '../helpers/keys'
import { poolFakes } from '../helpers/pool'

afterEach(() => {
  vi.useRealTimers()
})

const poolObject = () =>
  testEnv.UPSTREAM_POOL.get(testEnv.UPSTREAM_POOL.idFromName(POOL_OBJECT_NAME))

/** Polls (no clock) until `ready` holds. */
async function until(ready: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await ready()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`never ${what}`)
}

interface View {
  name: string
  state: string
  images_last_minute: number
  queue_length: number
  last_error: { category: string } | null
}

describe('an outage of one upstream during a burst', () => {
  it('costs clients nothing; its circuit opens, and a probe closes it when the outage ends', async () => {
    const fakes = poolFakes({ openaiPerMinute: 2 })
    const { names } = fakes
    // Azure's calls wait until the test lets them through (the outage is switched on meanwhile).
    const held = gate()
    let waiting = 0
    const toFakes = globalThis.fetch
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init)
      if (new URL(request.url).hostname.startsWith('azure')) {
        waiting++
        await held.opened
      }
      return toFakes(request)
    })
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const env = fakes.env(['azure', 'openai'], {
      ADMIN_TOKEN: ADMIN,
      UPSTREAM_QUEUE_TIMEOUT_MS: '600000',
    })
    const { key } = await createKey({ name: 'burst', kind: 'secret', balance_usd: 10 }, env)
    const views = async () => {
      const res = await callGateway('/v1/admin/upstreams', {
        env,
        headers: { authorization: `Bearer ${ADMIN}` },
      })
      const { data } = (await res.json()) as { data: View[] }
      return Object.fromEntries(data.map((view) => [view.name, view])) as Record<string, View>
    }
    const ask = (label: string) =>
      callGateway('/v1/images/generations', {
        env,
        body: { model: 'gpt-image-1', prompt: `${label} ${crypto.randomUUID()}` },
        headers: { authorization: `Bearer ${key}` },
      })

    // A burst of 8 against OpenAI's 2 a minute: OpenAI serves 2, Azure is sent the other 6.
    const burst = Array.from({ length: 8 }, (_, i) => ask(`burst ${i}`))
    await until(() => fakes.openai.calls.length + waiting === 8, 'the burst sent')
    expect(fakes.openai.calls).toHaveLength(2)
    expect(waiting).toBe(6)

    // Azure goes down while its calls are in flight: 6 failures in a row open its circuit, and
    // each request fails over to OpenAI, whose minute is full: they wait there.
    fakes.azure.outage = 'status'
    held.open()
    await until(async () => (await views())[names.openai]?.queue_length === 6, '6 waiting')
    let view = await views()
    expect(view[names.azure]).toMatchObject({ state: 'open', last_error: { category: 'status' } })
    expect(view[names.openai]).toMatchObject({ state: 'healthy', images_last_minute: 2 })
    expect(fakes.azure.calls.map((call) => call.answered)).toEqual(Array(6).fill(500))

    // Past the circuit's 30 s pause: half-open; the outage has ended, and one probe closes it.
    vi.setSystemTime(Date.now() + 31_000)
    fakes.azure.outage = null
    expect((await views())[names.azure]?.state).toBe('half_open')
    const probe = await ask('probe')
    expect(probe.status).toBe(200)
    await probe.arrayBuffer()
    view = await views()
    expect(view[names.azure]?.state).toBe('healthy')
    expect(fakes.azure.calls.at(-1)?.answered).toBe(200)

    // The waiters (who had tried Azure) are served by OpenAI as its minutes free: 2 a minute.
    for (const served of [4, 6, 8]) {
      vi.setSystemTime(Date.now() + 61_000)
      await runDurableObjectAlarm(poolObject())
      await until(() => fakes.openai.calls.length === served, `${served} served by OpenAI`)
    }
    const answers = await Promise.all(burst)
    expect(answers.map((res) => res.status)).toEqual(Array(8).fill(200))
    await Promise.all(answers.map((res) => res.arrayBuffer()))
    await settled()

    // Charged once per image, as the upstream that served it reported; failed calls cost nothing.
    const request = { model: 'gpt-image-1' } as const
    const openaiCost = costOf(request, {
      input_tokens: 10,
      input_tokens_details: { text_tokens: 10, image_tokens: 0 },
      output_tokens: 1056,
    })
    const azureCost = costOf(request, {
      input_tokens: 50,
      input_tokens_details: { image_tokens: 40, text_tokens: 10 },
      output_tokens: 1056,
    })
    const spent = (await usage(key, env)).spent_usd as number
    expect(spent).toBeCloseTo((8 * openaiCost + azureCost) / 1e6, 6)
    expect((await views())[names.openai]?.queue_length).toBe(0)
  })
})
