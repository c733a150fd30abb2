/**
 * A fake webhook receiver for tests: outbound fetches to its hosts are answered from a script
 * (status, headers, or a stall until aborted) and recorded; any other address fails the test.
 * Also an independent Standard Webhooks verifier, written from the spec, to check our signatures
 * beside the openai SDK's.
 */
import { createExecutionContext, getQueueResult } from 'cloudflare:test'
import { afterEach, expect, vi } from 'vitest'

export const RECEIVER_HOST = 'hooks.receiver.test'
export const OTHER_RECEIVER_HOST = 'other.receiver.test'
export const RECEIVER_URL = `http://${RECEIVER_HOST}/hooks`
/** WEBHOOK_URL_HOSTS as the tests set it: the receivers are private names, over plain http. */
export const RECEIVER_HOSTS = [RECEIVER_HOST, OTHER_RECEIVER_HOST]

export type Scripted =
  | { status: number; headers?: Record<string, string> }
  | { stall: true }
  | { networkError: true }

export interface Received {
  url: string
  method: string
  headers: Headers
  body: string
}

export class FakeReceiver {
  readonly received: Received[] = []
  private readonly script: Scripted[]

  /** Answers `script` in order, then 204 to everything. */
  constructor(script: Scripted[] = []) {
    this.script = [...script]
  }

  async answer(request: Request): Promise<Response> {
    const body = await request.text()
    this.received.push({ url: request.url, method: request.method, headers: request.headers, body })
    const next = this.script.shift() ?? { status: 204 }
    if ('networkError' in next) throw new TypeError('Network connection lost.')
    if ('stall' in next) {
      return new Promise<Response>((_, reject) => {
        const abort = () => reject(new DOMException('aborted', 'AbortError'))
        if (request.signal.aborted) abort()
        request.signal.addEventListener('abort', abort)
      })
    }
    return new Response(next.status === 204 ? null : 'answer body', next)
  }
}

const unexpected: string[] = []

/** Routes outbound fetches to `receiver` (its hosts only); returns it. */
export function installReceiver(receiver = new FakeReceiver()): FakeReceiver {
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const host = new URL(request.url).hostname
    if (host !== RECEIVER_HOST && host !== OTHER_RECEIVER_HOST) {
      unexpected.push(request.url)
      throw new TypeError(`unexpected outbound request to ${request.url}`)
    }
    return receiver.answer(request)
  })
  return receiver
}

afterEach(() => {
  vi.unstubAllGlobals()
  expect(unexpected.splice(0), 'unexpected outbound requests').toEqual([])
})

/** What a handler did with a `createMessageBatch` batch. */
export const queueResult = (batch: MessageBatch<unknown>) =>
  getQueueResult(batch, createExecutionContext())

export interface SpyMessage extends Message<unknown> {
  acked: boolean
  retried: QueueRetryOptions | null
}

/** A message whose ack and retry (with its delay, which createMessageBatch drops) are recorded. */
export function spyMessage(body: unknown, attempts = 1, id = 'm1'): SpyMessage {
  const message: SpyMessage = {
    id,
    timestamp: new Date(0),
    attempts,
    body,
    acked: false,
    retried: null,
    ack() {
      message.acked = true
    },
    retry(options?: QueueRetryOptions) {
      message.retried = options ?? {}
    },
  }
  return message
}

/** A batch of spy messages from queue `queue`. */
export function spyBatch(queue: string, messages: SpyMessage[]): MessageBatch<unknown> {
  const metadata = { metrics: { backlogCount: 0, backlogBytes: 0 } }
  return { queue, messages, metadata, ackAll: () => {}, retryAll: () => {} }
}

const b64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

/**
 * The spec's verification, independently: HMAC-SHA256 keyed by the base64 after `whsec_`, over
 * `id.timestamp.body`, compared in constant time (crypto.subtle.verify) with any `v1` entry.
 */
export async function verifyStandardWebhook(
  secret: string,
  headers: Headers,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<boolean> {
  const id = headers.get('webhook-id')
  const timestamp = headers.get('webhook-timestamp')
  const signatures = headers.get('webhook-signature')
  if (!id || !timestamp || !signatures) return false
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false
  const key = await crypto.subtle.importKey(
    'raw',
    b64(secret.replace(/^whsec_/, '')),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  )
  const data = new TextEncoder().encode(`${id}.${timestamp}.${body}`)
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',')
    if (version !== 'v1' || !signature) continue
    let bytes: Uint8Array
    try {
      bytes = b64(signature)
    } catch {
      continue
    }
    if (await crypto.subtle.verify('HMAC', key, bytes, data)) return true
  }
  return false
}
