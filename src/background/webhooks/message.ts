/**
 * A webhook to deliver, as the plain data a queue message carries: the event's body serialized
 * once (every attempt sends and signs the same bytes), the webhook-id kept across retries, and the
 * key whose secret signs it (never the secret itself: a message may sit in the queue for a day).
 */
import { z } from 'zod'
import { isWebhookId } from './signing'

/** What happened, as receivers see it in `type`. */
export const WEBHOOK_EVENT_TYPES = [
  'image.job.completed',
  'image.job.failed',
  'image.batch.completed',
  'image.batch.cancelled',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/**
 * The most a body may hold: the spec asks for thin payloads (under 20 kB), images by link. Well
 * under a queue message's 128 KB.
 */
export const MAX_WEBHOOK_BODY_BYTES = 16 * 1024

export interface WebhookMessage {
  kind: 'webhook'
  v: 1
  /** webhook-id, and the event's `id`. */
  id: string
  url: string
  type: WebhookEventType
  /** The event, serialized once. */
  body: string
  /** The key whose webhook secret(s) sign it. */
  keyId: string
  /** When the event happened (ms since the epoch). */
  createdAt: number
}

export const webhookMessageSchema = z.strictObject({
  kind: z.literal('webhook'),
  v: z.literal(1),
  id: z.string().refine(isWebhookId),
  url: z.string().max(2048),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  body: z.string().max(MAX_WEBHOOK_BODY_BYTES),
  keyId: z.string().min(1).max(128),
  createdAt: z.number().int().nonnegative(),
})

/**
 * The webhook-id of an event about `subject` (a job or batch id): the same every time that event
 * is announced, so a receiver drops a repeat even if we enqueue it twice.
 */
export function webhookIdFor(subject: string, type: WebhookEventType): string {
  const id = `msg_${subject}_${type.replaceAll('.', '_')}`
  if (!isWebhookId(id)) throw new Error(`'${subject}' cannot name a webhook`)
  return id
}

export interface WebhookEventInput {
  subject: string
  type: WebhookEventType
  /** The thin payload: ids, status, counts, links; never image bytes. */
  data: Record<string, unknown>
  url: string
  keyId: string
  now?: number
}

/**
 * The message announcing an event, with an OpenAI-style body (`id`, `object: "event"`, `type`,
 * `created_at` in seconds, `data`), which `client.webhooks.unwrap()` returns as it is.
 */
export function webhookMessage(input: WebhookEventInput): WebhookMessage {
  const now = input.now ?? Date.now()
  const id = webhookIdFor(input.subject, input.type)
  const event = {
    id,
    object: 'event',
    type: input.type,
    created_at: Math.floor(now / 1000),
    data: input.data,
  }
  const body = JSON.stringify(event)
  if (new TextEncoder().encode(body).length > MAX_WEBHOOK_BODY_BYTES) {
    throw new Error(`a webhook body holds at most ${MAX_WEBHOOK_BODY_BYTES} bytes`)
  }
  return {
    kind: 'webhook',
    v: 1,
    id,
    url: input.url,
    type: input.type,
    body,
    keyId: input.keyId,
    createdAt: now,
  }
}
