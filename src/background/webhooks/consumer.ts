/**
 * The webhooks queue's consumer: each message is one attempt at one webhook. A 2xx acks it; any
 * other answer retries it after the backoff schedule, with the same webhook-id, until the last
 * attempt, or at once when retrying cannot help; then it is written down for the operator.
 */
import { deliverOnce } from './deliver'
import { type DeliveryFailureLog, failedDelivery } from './failure-log'
import { type WebhookMessage, webhookMessageSchema } from './message'
import { retryDelaySeconds, WEBHOOK_MAX_ATTEMPTS } from './schedule'

export interface WebhookConsumerDeps {
  /** The signing secrets of a key (two during a rotation); none when it has none or is gone. */
  secrets(keyId: string): Promise<readonly string[]>
  log: DeliveryFailureLog
  /** WEBHOOK_URL_HOSTS: null judges receivers by the public rules. */
  hosts: readonly string[] | null
  /** The gateway's own host, never called unless listed. */
  ownHost: string | null
  timeoutMs?: number
  random?: () => number
  now?: () => number
}

/** Handles a batch from the webhooks queue: every message acked or retried on its own. */
export async function handleWebhookBatch(
  batch: MessageBatch<unknown>,
  deps: WebhookConsumerDeps,
): Promise<void> {
  await Promise.all(batch.messages.map((message) => handleWebhook(message, deps)))
}

async function handleWebhook(message: Message<unknown>, deps: WebhookConsumerDeps) {
  const parsed = webhookMessageSchema.safeParse(message.body)
  if (!parsed.success) {
    // Not ours to deliver, whatever happens: keep it from coming back.
    console.error(`webhooks: dropped malformed message ${message.id}`)
    message.ack()
    return
  }
  try {
    await attempt(parsed.data, message, deps)
  } catch (error) {
    // Storage or lookup trouble, not the receiver's: try again later; past max_retries the queue
    // moves it to the dead-letter queue, whose consumer writes it down.
    console.error(`webhooks: attempt ${message.attempts} of ${parsed.data.id} failed: ${error}`)
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, deps.random) })
  }
}

async function attempt(
  webhook: WebhookMessage,
  message: Message<unknown>,
  deps: WebhookConsumerDeps,
) {
  const now = deps.now?.() ?? Date.now()
  const secrets = await deps.secrets(webhook.keyId)
  if (secrets.length === 0) {
    await deps.log.record(
      failedDelivery(webhook, message.attempts - 1, { reason: 'no_secret' }, now),
    )
    message.ack()
    return
  }
  const outcome = await deliverOnce(webhook, {
    secrets,
    hosts: deps.hosts,
    ownHost: deps.ownHost,
    timeoutMs: deps.timeoutMs,
    now,
  })
  if (outcome.ok) {
    message.ack()
    return
  }
  if (!outcome.retry || message.attempts >= WEBHOOK_MAX_ATTEMPTS) {
    await deps.log.record(failedDelivery(webhook, message.attempts, outcome, now))
    message.ack()
    return
  }
  const wait = retryDelaySeconds(message.attempts, deps.random, outcome.retryAfterSeconds ?? null)
  message.retry({ delaySeconds: wait })
}
