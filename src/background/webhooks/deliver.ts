/**
 * One attempt at a webhook: a signed POST to the receiver, under one deadline for the whole
 * attempt, following only 307/308 redirects (the only ones that keep a POST's body) and each hop
 * only to a URL the policy allows. The receiver's answer body is never read.
 */
import { judgeUrl, type UrlPolicy, type UrlRefusal } from '../../net/public-url'
import type { WebhookMessage } from './message'
import { parseRetryAfter } from './schedule'
import { webhookHeaders } from './signing'

/** The spec asks receivers to answer within 15 to 30 s. */
export const WEBHOOK_TIMEOUT_MS = 15_000
const MAX_REDIRECTS = 3
const USER_AGENT = 'gpt-image-gateway-webhooks/1'

export type DeliveryOutcome =
  | { ok: true; status: number }
  | {
      ok: false
      /** False when trying again cannot help (a refused URL, 410 Gone). */
      retry: boolean
      reason: 'refused_url' | 'gone' | 'status' | 'redirect' | 'network' | 'timeout'
      status?: number
      refusal?: UrlRefusal
      retryAfterSeconds?: number
    }

export interface DeliveryOptions {
  secrets: readonly string[]
  /** The operator's WEBHOOK_URL_HOSTS: listed hosts are allowed even when private, over http too. */
  hosts: readonly string[] | null
  /** The gateway's own host: never called unless listed. */
  ownHost: string | null
  timeoutMs?: number
  /** This attempt's time, in ms: its webhook-timestamp. */
  now?: number
}

const policyOf = (options: DeliveryOptions): UrlPolicy => ({
  hosts: options.hosts,
  ownHost: options.ownHost,
  httpForListed: true,
})

/** Sends `message` once; what came of it. */
export async function deliverOnce(
  message: WebhookMessage,
  options: DeliveryOptions,
): Promise<DeliveryOutcome> {
  const policy = policyOf(options)
  const first = judgeUrl(message.url, policy)
  if (!first.ok) return { ok: false, retry: false, reason: 'refused_url', refusal: first.refusal }
  const now = options.now ?? Date.now()
  const headers = await webhookHeaders(options.secrets, {
    id: message.id,
    timestamp: Math.floor(now / 1000),
    body: message.body,
  })
  headers['user-agent'] = USER_AGENT
  const signal = AbortSignal.timeout(options.timeoutMs ?? WEBHOOK_TIMEOUT_MS)
  let target = first.url
  for (let hop = 0; ; hop++) {
    let response: Response
    try {
      response = await fetch(target, {
        method: 'POST',
        headers,
        body: message.body,
        redirect: 'manual',
        signal,
      })
    } catch {
      return { ok: false, retry: true, reason: signal.aborted ? 'timeout' : 'network' }
    }
    await response.body?.cancel().catch(() => {})
    const { status } = response
    if (status >= 200 && status < 300) return { ok: true, status }
    if (status === 410) return { ok: false, retry: false, reason: 'gone', status }
    if (status >= 300 && status < 400) {
      const next = followable(response, target, policy, hop)
      if (!next) return { ok: false, retry: true, reason: 'redirect', status }
      target = next
      continue
    }
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now)
    return {
      ok: false,
      retry: true,
      reason: 'status',
      status,
      ...(retryAfter === null ? {} : { retryAfterSeconds: retryAfter }),
    }
  }
}

/** Where a redirect may take the POST: a 307/308 within the hop limit, to an allowed URL. */
function followable(response: Response, from: URL, policy: UrlPolicy, hop: number): URL | null {
  const location = response.headers.get('location')
  if (!location || hop >= MAX_REDIRECTS) return null
  if (response.status !== 307 && response.status !== 308) return null
  const next = judgeUrl(location, policy, from)
  return next.ok ? next.url : null
}
