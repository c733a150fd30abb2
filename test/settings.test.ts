/** Settings: the environment parsed once, with defaults and rules; the documented table agrees with it. */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env as baseEnv } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import configuration from '../docs/configuration.md?raw'
import app from '../src/index'
import { parseSettings, settingsOf } from '../src/settings'
import { VARIABLES } from '../src/variables'
import { FAKE_UPSTREAM_URL } from './fakes/upstream'
import { ENVS, fakeUpstream } from './helpers/gateway'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('settingsOf', () => {
  it('gives the documented defaults, frozen, for an environment that sets nothing', () => {
    const settings = settingsOf({})
    expect(settings).toEqual({
      upstream: {
        kind: 'demo',
        baseUrl: 'https://demo.invalid/v1',
        apiKey: null,
        timeoutMs: 300_000,
        idleTimeoutMs: 180_000,
        totalTimeoutMs: 600_000,
        demoPartialIntervalMs: 300,
        queueTimeoutMs: 60_000,
        entries: [],
        pooled: false,
      },
      demo: true,
      gatewayKeys: [],
      adminToken: null,
      embedSigningSecret: null,
      publicAccess: false,
      allowedModels: null,
      cacheTtlSeconds: null,
      keepEditInputs: false,
      editImageUrlHosts: null,
      webhookUrlHosts: null,
      requestBodyTimeoutMs: 60_000,
      sseKeepAliveMs: 15_000,
      rateLimitPerMinute: 60,
      anonymousRateLimitPerMinute: 10,
      embedRateLimitPerMinute: 120,
      publishableClientRateLimitPerMinute: 30,
      adminTokenGuessesPerMinute: 10,
      dailyBudgetUsd: 1,
      corsOrigins: [],
      usageRetentionDays: 30,
    })
    expect(Object.isFrozen(settings)).toBe(true)
    expect(Object.isFrozen(settings.upstream)).toBe(true)
    expect(Object.isFrozen(settings.gatewayKeys)).toBe(true)
  })

  it('reads every variable with its unit, trimming lists and treating blanks as unset', () => {
    const settings = settingsOf({
      UPSTREAM_API_KEY: 'sk-op',
      UPSTREAM_BASE_URL: `${FAKE_UPSTREAM_URL}//`,
      UPSTREAM_TIMEOUT_MS: '50',
      UPSTREAM_IDLE_TIMEOUT_MS: 300,
      GATEWAY_KEYS: ' gw-a , gw-b ,, ',
      ADMIN_TOKEN: '',
      PUBLIC_ACCESS: 'true',
      ALLOWED_MODELS: 'gpt-image-1-mini, gpt-image-2',
      CACHE_TTL_SECONDS: '0',
      DAILY_BUDGET_USD: '2.50',
      CORS_ORIGINS: 'https://a.example, http://localhost:8080',
      EDIT_IMAGE_URL_HOSTS: 'Images.Example.com, *.cdn.example',
      REQUEST_BODY_TIMEOUT_MS: '5000',
      DEMO_PARTIAL_INTERVAL_MS: '0',
    })
    expect(settings).toMatchObject({
      upstream: { kind: 'remote', baseUrl: FAKE_UPSTREAM_URL, apiKey: 'sk-op', timeoutMs: 50 },
      demo: false,
      gatewayKeys: ['gw-a', 'gw-b'],
      adminToken: null,
      publicAccess: true,
      allowedModels: ['gpt-image-1-mini', 'gpt-image-2'],
      cacheTtlSeconds: null,
      dailyBudgetUsd: 2.5,
      corsOrigins: ['https://a.example', 'http://localhost:8080'],
      editImageUrlHosts: ['images.example.com', '*.cdn.example'],
      requestBodyTimeoutMs: 5000,
    })
    expect(settings.upstream.idleTimeoutMs).toBe(300)
    expect(settings.upstream.demoPartialIntervalMs).toBe(0)
    expect(settingsOf({ EDIT_IMAGE_URL_HOSTS: 'none' }).editImageUrlHosts).toEqual([])
    expect(settingsOf({ WEBHOOK_URL_HOSTS: 'Hooks.Test, *.lan' }).webhookUrlHosts).toEqual([
      'hooks.test',
      '*.lan',
    ])
    expect(settingsOf({ UPSTREAM_API_KEY: 'sk-op' }).upstream.baseUrl).toBe(
      'https://api.openai.com/v1',
    )
  })

  it('parses each env object once', () => {
    const env = { RATE_LIMIT_PER_MINUTE: '5' }
    expect(settingsOf(env)).toBe(settingsOf(env))
  })

  it.each([
    ['UPSTREAM_TIMEOUT_MS', '30s', 'must be a whole number of milliseconds from 1 to 3600000'],
    ['UPSTREAM_IDLE_TIMEOUT_MS', '0', 'must be a whole number of milliseconds'],
    ['UPSTREAM_TOTAL_TIMEOUT_MS', '1e3', 'must be a whole number of milliseconds'],
    ['UPSTREAM_BASE_URL', 'api.openai.com/v1', 'must be an http or https URL'],
    ['PUBLIC_ACCESS', 'yes', 'must be true or false'],
    ['ALLOWED_MODELS', 'gpt-image-1,dall-e-3', 'must list only models this gateway knows'],
    ['CACHE_TTL_SECONDS', '1.5', 'must be a whole number of seconds'],
    ['SSE_KEEPALIVE_MS', '-1', 'must be a whole number of milliseconds'],
    ['REQUEST_BODY_TIMEOUT_MS', '60 s', 'must be a whole number of milliseconds'],
    ['DEMO_PARTIAL_INTERVAL_MS', '60001', 'must be a whole number of milliseconds from 0 to 60000'],
    ['RATE_LIMIT_PER_MINUTE', 'ten', 'must be a whole number of requests'],
    ['ANONYMOUS_RATE_LIMIT_PER_MINUTE', '0', 'must be a whole number of requests'],
    ['DAILY_BUDGET_USD', '-1', 'must be an amount of US dollars'],
    ['CORS_ORIGINS', 'https://a.example/', 'must list exact origins'],
    ['EDIT_IMAGE_URL_HOSTS', 'https://images.example.com', 'must be none, or host names'],
    ['EDIT_IMAGE_URL_HOSTS', 'a.example, none', 'must be none alone'],
    ['EDIT_IMAGE_URL_HOSTS', 'images.*.example', 'must be none, or host names'],
    ['WEBHOOK_URL_HOSTS', 'http://hooks.example', 'must be none, or host names'],
    ['GATEWAY_KEYS', 'gw-a, sk-gw-mine', 'must not hold keys starting with sk-gw- or pk-gw-'],
    ['GATEWAY_KEYS', 'pk-gw-site', 'must not hold keys starting with sk-gw- or pk-gw-'],
  ])('refuses %s=%s, naming the variable and the rule', (variable, value, rule) => {
    const failure = parseSettings({ [variable]: value })
    expect(failure).toMatchObject({ kind: 'misconfigured', variable })
    expect((failure as { rule: string }).rule).toContain(rule)
  })
})

describe('a misconfigured gateway', () => {
  it('answers every request with a 500 naming the variable and the rule, and logs it once', async () => {
    fakeUpstream()
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const env = { ...baseEnv, ...ENVS.remote, UPSTREAM_TIMEOUT_MS: '30s' }
    for (const [path, init] of [
      ['/v1/models', {}],
      ['/openapi.json', {}],
      [
        '/v1/images/generations',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
      ],
    ] as const) {
      const ctx = createExecutionContext()
      const res = await app.fetch(new Request(`https://gateway.test${path}`, init), env, ctx)
      await waitOnExecutionContext(ctx)
      expect(res.status, path).toBe(500)
      expect(await res.json()).toEqual({
        error: {
          message:
            'The gateway is misconfigured: UPSTREAM_TIMEOUT_MS must be a whole number of milliseconds from 1 to 3600000. Tell the operator of this gateway.',
          type: 'server_error',
          param: null,
          code: 'gateway_misconfigured',
        },
      })
    }
    const logged = errors.mock.calls.map(([line]) => String(line))
    expect(logged.filter((line) => line.includes('misconfigured'))).toHaveLength(1)
    expect(logged.join('\n')).not.toContain('30s')
  })
})

describe('the configuration table (docs/configuration.md)', () => {
  const section = configuration
  const rows = [...section.matchAll(/^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)? \| ([^|]+) \|/gm)].flatMap(
    ([, first, second, kind]) =>
      [first, second].filter(Boolean).map((name) => ({ name, kind: kind?.trim() })),
  )

  it('documents exactly the variables the settings schema reads, with their kind', () => {
    const documented = rows.filter((row) => row.kind === 'secret' || row.kind === 'var')
    expect(Object.fromEntries(documented.map((row) => [row.name, row.kind]))).toEqual(
      Object.fromEntries(Object.entries(VARIABLES).map(([name, { kind }]) => [name, kind])),
    )
  })

  it('documents only bindings that exist', () => {
    const bindings = rows.filter((row) => row.kind?.includes('binding')).map((row) => row.name)
    expect(bindings.length).toBeGreaterThan(0)
    for (const name of bindings) expect(baseEnv, name).toHaveProperty(name as string)
  })
})
