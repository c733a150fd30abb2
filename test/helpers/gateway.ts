/**
 * Test harness: calls the worker's fetch with a chosen environment, and routes every outbound
 * request to a FakeUpstream. Any request to another address is recorded and fails the test.
 */
import {
  createExecutionContext,
  reset,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env as baseEnv } from 'cloudflare:workers'
import { expect, vi } from 'vitest'
import { forgetAllowedOrigins } from '../../src/access/cors'
import type { Bindings } from '../../src/env'
import type { GenerationCoordinator } from '../../src/generation/coordinator'
import app from '../../src/index'
import {
  FAKE_FILES_URL,
  FAKE_UPSTREAM_URL,
  FakeUpstream,
  OPERATOR_KEY,
  recordBody,
} from '../fakes/upstream'
import { forgetTouched, touched } from './storage'

export const GATEWAY_URL = 'https://gateway.test'
export const CLIENT_KEY = 'gw-client-key-1'
/**
 * The client address requests come from unless a test says otherwise: Cloudflare sets
 * CF-Connecting-IP on every request from the internet, so the harness does too.
 */
export const CLIENT_IP = '192.0.2.10'

/** Environments the tests use most. */
export const ENVS = {
  /** A real (fake) upstream with one client key. */
  remote: {
    UPSTREAM_BASE_URL: FAKE_UPSTREAM_URL,
    UPSTREAM_API_KEY: OPERATOR_KEY,
    GATEWAY_KEYS: CLIENT_KEY,
  },
  /** No upstream and no keys: the demo generator, open to all, streaming without pauses. */
  demo: { DEMO_PARTIAL_INTERVAL_MS: '0' },
} satisfies Record<string, Partial<Bindings>>

const unexpected: string[] = []
/** Joins the requests so far made on generation owners, and who waits for a number of them. */
const joins = { count: 0, waiters: [] as { count: number; resolve: () => void }[] }
/** Background work (waitUntil) of the requests made so far. */
const pending: Promise<void>[] = []
/** Names of the generation owners (Durable Objects) the requests so far reached. */
const owners = new Set<string>()

/**
 * An owner's stub, counting the joins the worker makes on it. An RPC stub answers every property
 * with a remote method (its `bind` and `apply` too), so calls go through the stub itself.
 */
function countingJoins<Stub extends object>(stub: Stub): Stub {
  return new Proxy(stub, {
    get(target, property) {
      if (property !== 'join') return Reflect.get(target, property)
      return (...args: unknown[]) => {
        joins.count++
        for (const waiter of joins.waiters) if (joins.count >= waiter.count) waiter.resolve()
        return (target as unknown as { join: (...args: unknown[]) => unknown }).join(...args)
      }
    },
  })
}

/** The GENERATIONS namespace, noting which owners the worker reaches and the joins it makes. */
const generations = new Proxy(baseEnv.GENERATIONS, {
  get(target, property) {
    if (property === 'idFromName') {
      return (name: string) => {
        owners.add(name)
        return target.idFromName(name)
      }
    }
    if (property === 'get') {
      return (...args: Parameters<typeof target.get>) => countingJoins(target.get(...args))
    }
    const value = Reflect.get(target, property)
    return typeof value === 'function' ? value.bind(target) : value
  },
})

/**
 * Waits until every request's background work has finished, and every generation they started
 * has ended and stored (or discarded) its result.
 */
export async function settled(): Promise<void> {
  while (pending.length > 0) await Promise.allSettled(pending.splice(0))
  for (const name of owners) {
    const owner = baseEnv.GENERATIONS.get(baseEnv.GENERATIONS.idFromName(name))
    await runInDurableObject(owner, (instance: GenerationCoordinator) => instance.background.idle())
  }
}

/**
 * Resolves once the requests of this test have made `count` joins on generation owners and each
 * owner has taken them in (a call made after them has come back): for tests that hold the upstream
 * on a gate until every request waits on the one generation.
 */
export async function joined(count: number): Promise<void> {
  if (joins.count < count) {
    await new Promise<void>((resolve) => joins.waiters.push({ count, resolve }))
  }
  for (const name of owners) {
    const owner = baseEnv.GENERATIONS.get(baseEnv.GENERATIONS.idFromName(name))
    await runInDurableObject(owner, () => {})
  }
}

/**
 * After every test (registered for every file by the setup file): waits for its work, then empties
 * storage (unless the test touched none) and the caches, and fails the test if it reached for an
 * address no fake answers.
 */
export async function afterTest(): Promise<void> {
  await settled()
  owners.clear()
  joins.count = 0
  joins.waiters.length = 0
  vi.unstubAllGlobals()
  if (touched()) {
    await reset()
    forgetTouched()
  }
  forgetAllowedOrigins()
  const seen = unexpected.splice(0)
  expect(seen, 'unexpected outbound requests').toEqual([])
}

/** Routes outbound fetches to `fake`; anything not aimed at the fake upstream is refused. */
export function installFake(fake: FakeUpstream): FakeUpstream {
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    if (request.url.startsWith(`${FAKE_FILES_URL}/`)) {
      fake.fileFetches.push(request.url)
      const file = fake.files.get(request.url.slice(FAKE_FILES_URL.length))
      return file ? file.clone() : new Response('not found', { status: 404 })
    }
    if (!request.url.startsWith(`${FAKE_UPSTREAM_URL}/`)) {
      unexpected.push(request.url)
      throw new TypeError(`unexpected outbound request to ${request.url}`)
    }
    const scripted = fake.peek()
    if (scripted?.kind === 'network_error') {
      fake.take()
      fake.calls.push({
        url: request.url,
        authorization: null,
        contentType: null,
        headers: {},
        ...(await recordBody(request)),
      })
      throw new TypeError('Network connection lost.')
    }
    if (scripted?.kind === 'stall') {
      fake.take()
      fake.calls.push({
        url: request.url,
        authorization: null,
        contentType: null,
        headers: {},
        ...(await recordBody(request)),
      })
      return new Promise<Response>((_, reject) => {
        request.signal.addEventListener('abort', () =>
          reject(new DOMException('aborted', 'AbortError')),
        )
      })
    }
    const url = new URL(request.url)
    return fake.app.fetch(new Request(`http://fake${url.pathname}`, request))
  })
  return fake
}

/** A fresh fake upstream, installed. */
export function fakeUpstream(key?: string): FakeUpstream {
  return installFake(new FakeUpstream(key))
}

export interface CallOptions {
  env?: Partial<Bindings>
  method?: string
  headers?: Record<string, string>
  body?: unknown
  /** Raw body text, sent as is (for malformed JSON tests). */
  rawBody?: string
  /** CF-Connecting-IP unless `headers` set one; null sends none. */
  clientIp?: string | null
}

/** Calls the gateway as a client would. Use `settled()` to wait for its background work. */
export async function callGateway(path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers)
  let body: string | undefined = options.rawBody
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
  }
  const request = new Request(`${GATEWAY_URL}${path}`, {
    method: options.method ?? (body ? 'POST' : 'GET'),
    headers,
    body,
  })
  return gatewayFetch(request, options.env ?? ENVS.remote, options.clientIp)
}

/**
 * The worker's fetch with a given environment on top of the test bindings, from `clientIp` (as
 * CF-Connecting-IP) unless the request names its own address.
 */
export async function gatewayFetch(
  request: Request,
  env: Partial<Bindings>,
  clientIp: string | null = CLIENT_IP,
): Promise<Response> {
  if (clientIp !== null && !request.headers.has('cf-connecting-ip')) {
    request = new Request(request)
    request.headers.set('cf-connecting-ip', clientIp)
  }
  const ctx = createExecutionContext()
  const bindings = { ...baseEnv, GENERATIONS: generations, ...env } as Bindings
  const response = await app.fetch(request, bindings, ctx)
  pending.push(waitOnExecutionContext(ctx))
  return response
}

/** POST /v1/images/generations with the client key of ENVS.remote. */
export function generate(body: unknown, options: CallOptions = {}): Promise<Response> {
  return callGateway('/v1/images/generations', {
    ...options,
    body,
    headers: { authorization: `Bearer ${CLIENT_KEY}`, ...options.headers },
  })
}
