/**
 * UPSTREAMS: the two entries parse as written (string or array); every rule names its
 * field and never a secret; the legacy variables are a pool of one; neither is the demo.
 */
import { describe, expect, it } from 'vitest'
import { MODEL_IDS } from '../../src/models'
import { capacityOf, describeEntry } from '../../src/pool-config/entry'
import { parsePool } from '../../src/pool-config/parse'
import { AZURE_EAST, PRIMARY } from './entries'

const SECRETS = { UPSTREAM_API_KEY: 'sk-primary-SECRET', AZURE_EAST_KEY: 'az-east-SECRET' }

function withEntries(...entries: unknown[]) {
  return { UPSTREAMS: JSON.stringify(entries), ...SECRETS }
}

describe('parsePool', () => {
  it('reads the issue’s two entries, as a JSON string or as a [vars] array', () => {
    const expected = {
      kind: 'remote',
      entries: [
        {
          name: 'primary',
          kind: 'openai',
          baseUrl: 'https://api.openai.com/v1',
          keyName: 'UPSTREAM_API_KEY',
          apiKey: 'sk-primary-SECRET',
          models: ['gpt-image-1', 'gpt-image-2'],
          deployments: {},
          apiVersion: null,
          weight: 1,
          imagesPerMinute: 5,
        },
        {
          name: 'azure-east',
          kind: 'azure',
          baseUrl: 'https://res-east.openai.azure.com',
          keyName: 'AZURE_EAST_KEY',
          apiKey: 'az-east-SECRET',
          models: ['gpt-image-1', 'gpt-image-1.5'],
          deployments: { 'gpt-image-1': 'img1', 'gpt-image-1.5': 'img15' },
          apiVersion: '2025-04-01-preview',
          weight: 1,
          imagesPerMinute: 10,
        },
      ],
    }
    expect(parsePool(withEntries(PRIMARY, AZURE_EAST))).toEqual(expected)
    expect(parsePool({ UPSTREAMS: [PRIMARY, AZURE_EAST], ...SECRETS })).toEqual(expected)
  })

  it('defaults: every model for openai, weight 1, capacity learned; trailing slashes go', () => {
    const pool = parsePool(
      withEntries({
        name: 'a',
        kind: 'openai',
        base_url: 'https://x.test/v1/',
        key: 'UPSTREAM_API_KEY',
      }),
    )
    expect(pool).toMatchObject({
      entries: [
        { models: MODEL_IDS, weight: 1, imagesPerMinute: null, baseUrl: 'https://x.test/v1' },
      ],
    })
    expect(parsePool({ UPSTREAMS: '  ' })).toEqual({ kind: 'demo' })
  })

  it('v1 selects the v1 route; http only on loopback', () => {
    const v1 = { ...AZURE_EAST, api_version: 'v1' }
    expect(parsePool(withEntries(v1))).toMatchObject({ entries: [{ apiVersion: 'v1' }] })
    const local = { ...PRIMARY, base_url: 'http://127.0.0.1:8787/v1' }
    expect(parsePool(withEntries(local))).toMatchObject({ kind: 'remote' })
  })

  const broken: [string, unknown[], Record<string, unknown>, string, RegExp][] = [
    ['unknown kind', [{ ...PRIMARY, kind: 'bedrock' }], {}, 'UPSTREAMS[0].kind', /openai.*azure/],
    ['missing name', [{ ...PRIMARY, name: undefined }], {}, 'UPSTREAMS[0].name', /required/],
    ['odd name', [{ ...PRIMARY, name: 'a b' }], {}, 'UPSTREAMS[0].name', /letters/],
    [
      'duplicate name',
      [PRIMARY, { ...AZURE_EAST, name: 'Primary' }],
      {},
      'UPSTREAMS[1].name',
      /unique/,
    ],
    [
      'plain http',
      [{ ...PRIMARY, base_url: 'http://api.test/v1' }],
      {},
      'UPSTREAMS[0].base_url',
      /https/,
    ],
    [
      'credentials in URL',
      [{ ...PRIMARY, base_url: 'https://u:p@api.test/v1' }],
      {},
      'UPSTREAMS[0].base_url',
      /credentials/,
    ],
    [
      'azure path pasted',
      [{ ...AZURE_EAST, base_url: 'https://r.openai.azure.com/openai/deployments/x' }],
      {},
      'UPSTREAMS[0].base_url',
      /resource endpoint/,
    ],
    [
      'models on azure',
      [{ ...AZURE_EAST, models: ['gpt-image-1'] }],
      {},
      'UPSTREAMS[0].models',
      /deployments/,
    ],
    [
      'deployments on openai',
      [{ ...PRIMARY, deployments: {} }],
      {},
      'UPSTREAMS[0].deployments',
      /azure/,
    ],
    ['unknown field', [{ ...PRIMARY, region: 'eu' }], {}, 'UPSTREAMS[0].region', /not a field/],
    [
      'unknown model in deployments',
      [{ ...AZURE_EAST, deployments: { 'dall-e-3': 'd3' } }],
      {},
      'UPSTREAMS[0].deployments["dall-e-3"]',
      /does not know/,
    ],
    [
      'bad deployment name',
      [{ ...AZURE_EAST, deployments: { 'gpt-image-1': 'a/b' } }],
      {},
      'UPSTREAMS[0].deployments["gpt-image-1"]',
      /deployment name/,
    ],
    [
      'no deployments',
      [{ ...AZURE_EAST, deployments: {} }],
      {},
      'UPSTREAMS[0].deployments',
      /at least one/,
    ],
    ['unknown model', [{ ...PRIMARY, models: ['gpt-5'] }], {}, 'UPSTREAMS[0].models[0]', /knows/],
    ['no models', [{ ...PRIMARY, models: [] }], {}, 'UPSTREAMS[0].models', /at least one/],
    [
      'old api-version',
      [{ ...AZURE_EAST, api_version: '2024-10-21' }],
      {},
      'UPSTREAMS[0].api_version',
      /2025-04-01/,
    ],
    [
      'missing api-version',
      [{ ...AZURE_EAST, api_version: undefined }],
      {},
      'UPSTREAMS[0].api_version',
      /required/,
    ],
    ['weight 0', [{ ...PRIMARY, weight: 0 }], {}, 'UPSTREAMS[0].weight', /whole number/],
    [
      'fractional capacity',
      [{ ...PRIMARY, images_per_minute: 2.5 }],
      {},
      'UPSTREAMS[0].images_per_minute',
      /whole number/,
    ],
    [
      'key not a name',
      [{ ...PRIMARY, key: 'sk-live-123' }],
      {},
      'UPSTREAMS[0].key',
      /name of the secret/,
    ],
    [
      'secret missing',
      [PRIMARY, AZURE_EAST],
      { AZURE_EAST_KEY: '' },
      'UPSTREAMS[1].key',
      /AZURE_EAST_KEY, which is not set/,
    ],
    ['empty list', [], {}, 'UPSTREAMS', /at least one/],
    [
      'base URL beside it',
      [PRIMARY],
      { UPSTREAM_BASE_URL: 'https://x.test' },
      'UPSTREAM_BASE_URL',
      /unset/,
    ],
  ]

  it.each(broken)('names the field: %s', (_, entries, extra, variable, rule) => {
    const problem = parsePool({ ...withEntries(...entries), ...extra })
    expect(problem).toMatchObject({ kind: 'misconfigured', variable })
    expect((problem as { rule: string }).rule).toMatch(rule)
    expect(JSON.stringify(problem)).not.toContain('SECRET')
  })

  it('refuses what is not a JSON array', () => {
    expect(parsePool({ UPSTREAMS: '[{' })).toEqual({
      kind: 'misconfigured',
      variable: 'UPSTREAMS',
      rule: 'is not valid JSON',
    })
    expect(parsePool({ UPSTREAMS: '{"name":"a"}' })).toMatchObject({
      variable: 'UPSTREAMS',
      rule: expect.stringMatching(/array/),
    })
  })

  it('legacy variables are a pool of one named default; neither is the demo', () => {
    expect(parsePool({})).toEqual({ kind: 'demo' })
    expect(parsePool({ UPSTREAM_API_KEY: 'sk-1' })).toMatchObject({
      entries: [
        { name: 'default', kind: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-1' },
      ],
    })
    // As before, a plain http base URL and no key are allowed here.
    expect(parsePool({ UPSTREAM_BASE_URL: 'http://10.0.0.5:8080/v1/' })).toMatchObject({
      entries: [{ baseUrl: 'http://10.0.0.5:8080/v1', apiKey: null, keyName: null }],
    })
    expect(parsePool({ UPSTREAM_BASE_URL: 'ftp://x' })).toMatchObject({
      variable: 'UPSTREAM_BASE_URL',
    })
  })

  it('capacity specs carry no key; Azure gets a sixth of its minute per 10 s', () => {
    const pool = parsePool(withEntries(PRIMARY, AZURE_EAST))
    if (pool.kind !== 'remote') throw new Error('expected a pool')
    const [primary, azure] = pool.entries.map(capacityOf)
    expect(primary).toEqual({ name: 'primary', weight: 1, imagesPerMinute: 5, imagesPer10s: null })
    expect(azure).toMatchObject({ imagesPerMinute: 10, imagesPer10s: 2 })
    expect(JSON.stringify(pool.entries.map(describeEntry))).not.toContain('SECRET')
  })
})
