/**
 * When a failed webhook is tried again: exponential backoff within the limits of Cloudflare
 * Queues, whose per-message retry delay is at most 12 h and whose max_retries is at most 100
 * (developers.cloudflare.com/queues/platform/limits). Nine attempts reach past 24 h.
 */

/** Queues' longest retry({ delaySeconds }). */
export const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60
/** Attempts in all; wrangler.toml's max_retries for the webhooks queue is one less. */
export const WEBHOOK_MAX_ATTEMPTS = 9
const FIRST_DELAY_SECONDS = 10
const FACTOR = 4
/** Up to this fraction is added at random, so receivers that failed together are not hit together. */
const JITTER = 0.2

/**
 * Seconds to wait after failed attempt `attempt` (1-based): 10 s × 4^(attempt−1), plus up to 20%,
 * at most 12 h. Without jitter: 10 s, 40 s, 160 s, 640 s, 43 min, 2.8 h, 11.4 h, 12 h, so the 9th
 * attempt comes 27.2 h after the first at the earliest. A receiver's Retry-After (seconds) is
 * honoured when longer, within the same 12 h.
 */
export function retryDelaySeconds(
  attempt: number,
  random: () => number = Math.random,
  retryAfterSeconds: number | null = null,
): number {
  const base = FIRST_DELAY_SECONDS * FACTOR ** Math.max(0, attempt - 1)
  const jittered = Math.floor(base * (1 + JITTER * random()))
  const wanted = Math.max(jittered, retryAfterSeconds ?? 0)
  return Math.min(MAX_QUEUE_DELAY_SECONDS, wanted)
}

/** The earliest time (seconds after the first attempt) the last attempt is made. */
export function earliestLastAttemptSeconds(maxAttempts = WEBHOOK_MAX_ATTEMPTS): number {
  let total = 0
  for (let attempt = 1; attempt < maxAttempts; attempt++)
    total += retryDelaySeconds(attempt, () => 0)
  return total
}

/** Retry-After as seconds (a number of seconds or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  const text = value?.trim()
  if (!text) return null
  if (/^\d{1,10}$/.test(text)) return Number(text)
  // An HTTP date (RFC 9110 5.6.7) starts with the day's name; Date.parse takes far more.
  if (!/^[A-Z][a-z]{2}, /.test(text)) return null
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000))
}
