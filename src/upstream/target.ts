/**
 * Which upstream answers: the operator's OpenAI-compatible API, or the built-in demo generator
 * when neither UPSTREAM_BASE_URL nor UPSTREAM_API_KEY is set. Both are reached through a
 * fetch-shaped function, so forwarding, retries and error mapping are one code path.
 */
import type { Bindings } from '../env'
import { fail } from '../errors'
import type { NormalizedImageRequest } from '../schema/image-request'
import { demoFetch } from './demo/demo-upstream'
import { isDemoFormat } from './demo/encode'

export const DEFAULT_UPSTREAM_BASE_URL = 'https://api.openai.com/v1'
const DEFAULT_TIMEOUT_MS = 300_000
const DEFAULT_IDLE_TIMEOUT_MS = 180_000
/**
 * A whole generation, from the call to the last byte: 10 minutes. gpt-image models take up to a
 * few minutes for the largest, highest-quality requests; twice the header deadline leaves room.
 */
export const DEFAULT_TOTAL_TIMEOUT_MS = 600_000

export interface UpstreamTarget {
  kind: 'remote' | 'demo'
  /** Base URL without a trailing slash, e.g. https://api.openai.com/v1 */
  baseUrl: string
  apiKey: string | null
  /** How long to wait for response headers (for a non-stream request: the whole generation). */
  timeoutMs: number
  /** How long a response body may go without a complete event before it counts as stalled. */
  idleTimeoutMs: number
  /** How long the whole generation may take, headers and body. */
  totalTimeoutMs: number
  fetch: (request: Request) => Promise<Response>
}

/** True when no upstream is configured and the demo generator serves. */
export function isDemo(env: Bindings): boolean {
  return !env.UPSTREAM_BASE_URL && !env.UPSTREAM_API_KEY
}

/** An upstream as plain data, so it can be handed to the generation's owner (a Durable Object). */
export type UpstreamSettings = Omit<UpstreamTarget, 'fetch'>

function positiveMs(value: string | undefined, fallback: number): number {
  const parsed = Number(value)
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback
}

/** Resolves the upstream from the environment. */
export function resolveUpstream(env: Bindings): UpstreamSettings {
  const timeoutMs = positiveMs(env.UPSTREAM_TIMEOUT_MS, DEFAULT_TIMEOUT_MS)
  const idleTimeoutMs = positiveMs(env.UPSTREAM_IDLE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS)
  const totalTimeoutMs = positiveMs(env.UPSTREAM_TOTAL_TIMEOUT_MS, DEFAULT_TOTAL_TIMEOUT_MS)
  if (isDemo(env)) {
    return {
      kind: 'demo',
      baseUrl: 'https://demo.invalid/v1',
      apiKey: null,
      timeoutMs,
      idleTimeoutMs,
      totalTimeoutMs,
    }
  }
  return {
    kind: 'remote',
    baseUrl: (env.UPSTREAM_BASE_URL || DEFAULT_UPSTREAM_BASE_URL).replace(/\/+$/, ''),
    apiKey: env.UPSTREAM_API_KEY || null,
    timeoutMs,
    idleTimeoutMs,
    totalTimeoutMs,
  }
}

/** The callable upstream for settings: the demo generator, or the network. */
export function targetFromSettings(settings: UpstreamSettings): UpstreamTarget {
  if (settings.kind === 'demo') return { ...settings, fetch: demoFetch }
  // Looked up per call (not captured) so the runtime's fetch, or a test's fake, is used.
  return { ...settings, fetch: (request) => fetch(request) }
}

/** Refuses, with a clear 400, what the chosen upstream cannot make (the demo encodes png/jpeg only). */
export function assertUpstreamSupports(
  target: UpstreamSettings,
  req: NormalizedImageRequest,
): void {
  if (target.kind === 'demo' && !isDemoFormat(req.output_format)) {
    fail({
      kind: 'invalid_request',
      message: `No upstream is configured, and the built-in demo generator cannot encode '${req.output_format}'. Use output_format 'png' or 'jpeg', or ask the operator to configure an upstream.`,
      param: 'output_format',
      code: 'unsupported_value',
    })
  }
}
