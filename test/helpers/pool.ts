/**
 * A pool of fakes behind the gateway: an OpenAI-kind FakeUpstream and a FakeAzure resource, with
 * UPSTREAMS naming both (unique names per test: the pool object keeps health by name).
 */
import { vi } from 'vitest'
import type { Bindings } from '../../src/env'
import { AZURE_KEY, FAKE_AZURE_URL, FakeAzure } from '../fakes/azure'
import { FAKE_UPSTREAM_URL, FakeUpstream, OPERATOR_KEY } from '../fakes/upstream'
import { CLIENT_KEY, installFake } from './gateway'

let made = 0

export interface PoolFakes {
  openai: FakeUpstream
  azure: FakeAzure
  /** Requests that reached the Azure fake (outages included). */
  readonly azureFetches: number
  /** This test's entry names (also what logs must name). */
  names: { openai: string; azure: string }
  /** The gateway's environment for a pool of the entries given (by kind, in order). */
  env(kinds?: ('openai' | 'azure')[], extra?: Record<string, unknown>): Partial<Bindings>
}

export interface PoolOptions {
  /** Each entry's declared images a minute. */
  openaiPerMinute?: number
  azurePerMinute?: number
  /** The fake Azure's own limit, per deployment. */
  azureLimit?: number
}

/** Installs both fakes: the Azure resource's URL goes to it, the rest to the OpenAI fake. */
export function poolFakes(options: PoolOptions = {}): PoolFakes {
  made++
  const openai = installFake(new FakeUpstream())
  const toOpenai = globalThis.fetch
  const azure = new FakeAzure({
    deployments: { img1: 'gpt-image-1', mini: 'gpt-image-1-mini' },
    imagesPerMinute: options.azureLimit,
  })
  let azureFetches = 0
  vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    if (!request.url.startsWith(`${FAKE_AZURE_URL}/`)) return toOpenai(request)
    azureFetches++
    return azure.fetch(request)
  })
  const names = { openai: `primary-${made}`, azure: `azure-east-${made}` }
  const entries = {
    openai: {
      name: names.openai,
      kind: 'openai',
      base_url: FAKE_UPSTREAM_URL,
      key: 'OPENAI_KEY',
      ...(options.openaiPerMinute ? { images_per_minute: options.openaiPerMinute } : {}),
    },
    azure: {
      name: names.azure,
      kind: 'azure',
      base_url: FAKE_AZURE_URL,
      key: 'AZURE_EAST_KEY',
      api_version: '2025-04-01-preview',
      deployments: { 'gpt-image-1': 'img1', 'gpt-image-1-mini': 'mini' },
      ...(options.azurePerMinute ? { images_per_minute: options.azurePerMinute } : {}),
    },
  }
  return {
    openai,
    azure,
    get azureFetches() {
      return azureFetches
    },
    names,
    env: (kinds = ['azure', 'openai'], extra = {}) =>
      ({
        UPSTREAMS: JSON.stringify(kinds.map((kind) => entries[kind])),
        OPENAI_KEY: OPERATOR_KEY,
        AZURE_EAST_KEY: AZURE_KEY,
        GATEWAY_KEYS: CLIENT_KEY,
        ...extra,
      }) as Partial<Bindings>,
  }
}
