/**
 * UPSTREAMS read with the other settings: the issue's two entries run as pasted, a bad entry is
 * the misconfiguration 500 naming the field (never a secret), and the legacy upstream is a pool
 * of one whose settings are what they were.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env as baseEnv } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import app from '../../src/index'
import { parseSettings, settingsOf } from '../../src/settings'
import { ISSUE_ENTRIES } from './entries'

describe('UPSTREAMS in the settings', () => {
  it('reads the issue’s two entries with their secrets, as a pool', () => {
    const settings = settingsOf({
      UPSTREAMS: JSON.stringify(ISSUE_ENTRIES),
      UPSTREAM_API_KEY: 'sk-one',
      AZURE_EAST_KEY: 'az-two',
    })
    expect(settings.demo).toBe(false)
    expect(settings.upstream).toMatchObject({ kind: 'remote', pooled: true, apiKey: null })
    expect(settings.upstream.queueTimeoutMs).toBe(60_000)
    expect(settings.upstream.entries.map((e) => [e.name, e.kind, e.apiKey])).toEqual([
      ['primary', 'openai', 'sk-one'],
      ['azure-east', 'azure', 'az-two'],
    ])
    // wrangler.toml's [vars] gives the array itself.
    const fromToml = settingsOf({
      UPSTREAMS: ISSUE_ENTRIES,
      UPSTREAM_API_KEY: 'a',
      AZURE_EAST_KEY: 'b',
    })
    expect(fromToml.upstream.entries).toHaveLength(2)
  })

  it('keeps the legacy upstream as it was: a pool of one, not pooled', () => {
    const settings = settingsOf({ UPSTREAM_API_KEY: 'sk-op', UPSTREAM_QUEUE_TIMEOUT_MS: '0' })
    expect(settings.upstream).toMatchObject({
      kind: 'remote',
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-op',
      pooled: false,
      queueTimeoutMs: 0,
    })
    expect(settings.upstream.entries.map((e) => e.name)).toEqual(['default'])
  })

  it('answers a bad entry with the 500 naming its field, never a secret', async () => {
    const entries = [ISSUE_ENTRIES[0], { ...ISSUE_ENTRIES[1], deployments: { 'gpt-image-9': 'x' } }]
    const env = {
      ...baseEnv,
      UPSTREAMS: JSON.stringify(entries),
      UPSTREAM_API_KEY: 'sk-SECRET-one',
      AZURE_EAST_KEY: 'az-SECRET-two',
    }
    const ctx = createExecutionContext()
    const res = await app.fetch(new Request('https://gateway.test/v1/models'), env, ctx)
    await waitOnExecutionContext(ctx)
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).not.toContain('SECRET')
    const body = JSON.parse(text)
    expect(body.error.code).toBe('gateway_misconfigured')
    expect(body.error.message).toContain('UPSTREAMS[1].deployments["gpt-image-9"]')
  })

  it('names a missing secret by its name, and a bad queue timeout', () => {
    expect(
      parseSettings({ UPSTREAMS: JSON.stringify(ISSUE_ENTRIES), UPSTREAM_API_KEY: 'k' }),
    ).toMatchObject({
      kind: 'misconfigured',
      variable: 'UPSTREAMS[1].key',
    })
    expect(parseSettings({ UPSTREAM_QUEUE_TIMEOUT_MS: '1m' })).toMatchObject({
      kind: 'misconfigured',
      variable: 'UPSTREAM_QUEUE_TIMEOUT_MS',
    })
  })
})
