/** The official openai client pointed at the gateway (only `baseURL` changed), through the harness. */
import OpenAI from 'openai'
import type { Bindings } from '../../src/env'
import { CLIENT_KEY, ENVS, GATEWAY_URL, gatewayFetch } from './gateway'

export interface SdkOptions {
  /** The gateway's environment; ENVS.remote by default. */
  env?: Partial<Bindings>
  apiKey?: string
  /** The SDK's own retries; none by default, so each test sees every answer. */
  maxRetries?: number
}

/** An openai client whose requests go to the gateway's fetch with `env`. */
export function sdk({ env = ENVS.remote, apiKey = CLIENT_KEY, maxRetries = 0 }: SdkOptions = {}) {
  return new OpenAI({
    apiKey,
    baseURL: `${GATEWAY_URL}/v1`,
    maxRetries,
    // With its Response at hand, the SDK need not probe the fetch function with a request.
    fetch: Object.assign(
      (url: RequestInfo | URL, init?: RequestInit) => gatewayFetch(new Request(url, init), env),
      {
        Response,
      },
    ),
  })
}
