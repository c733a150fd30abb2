/**
 * The retry schedules against Cloudflare Queues' limits and wrangler.toml: every delay within
 * 12 h, the webhooks' last attempt at least 24 h after the first whatever the jitter, and the
 * attempts the code counts equal to each consumer's max_retries + 1.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ITEM_MAX_ATTEMPTS, itemRetrySeconds } from '../../src/background/batches/item-consumer'
import { QUEUE_NAMES } from '../../src/background/queues'
import {
  earliestLastAttemptSeconds,
  MAX_QUEUE_DELAY_SECONDS,
  parseRetryAfter,
  retryDelaySeconds,
  WEBHOOK_MAX_ATTEMPTS,
} from '../../src/background/webhooks/schedule'
import wranglerToml from '../../wrangler.toml?raw'

const DAY = 24 * 60 * 60
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })

/** The [[queues.consumers]] entries of wrangler.toml, as key → value text. */
function consumers(): Record<string, string>[] {
  return wranglerToml
    .split('[[queues.consumers]]')
    .slice(1)
    .map((block) => block.split(/\n\s*\[/)[0] as string)
    .map((block) =>
      Object.fromEntries(
        [...block.matchAll(/^(\w+)\s*=\s*"?([^"\n#]*?)"?\s*(#.*)?$/gm)].map((m) => [m[1], m[2]]),
      ),
    )
}

describe('the webhook schedule', () => {
  it('never waits longer than a queue may delay, nor less than the last wait', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 100 }), random, (attempt, r) => {
        const delay = retryDelaySeconds(attempt, () => r)
        expect(delay).toBeLessThanOrEqual(MAX_QUEUE_DELAY_SECONDS)
        expect(delay).toBeGreaterThanOrEqual(retryDelaySeconds(attempt - 1, () => 0.999))
      }),
    )
  })

  it('makes its last attempt 24 h or more after the first, whatever the jitter', () => {
    expect(earliestLastAttemptSeconds()).toBe(97_810)
    fc.assert(
      fc.property(fc.array(random, { minLength: 8, maxLength: 8 }), (draws) => {
        let total = 0
        for (let attempt = 1; attempt < WEBHOOK_MAX_ATTEMPTS; attempt++) {
          total += retryDelaySeconds(attempt, () => draws[attempt - 1] as number)
        }
        expect(total).toBeGreaterThanOrEqual(DAY)
      }),
    )
    expect(earliestLastAttemptSeconds(WEBHOOK_MAX_ATTEMPTS - 1)).toBeLessThan(DAY)
  })

  it("honours a receiver's Retry-After when longer, within 12 h", () => {
    expect(retryDelaySeconds(1, () => 0, 120)).toBe(120)
    expect(retryDelaySeconds(7, () => 0, 120)).toBe(40_960)
    expect(retryDelaySeconds(1, () => 0, 10 * DAY)).toBe(MAX_QUEUE_DELAY_SECONDS)
  })

  it.each([
    ['120', 120],
    [' 7 ', 7],
    ['Thu, 01 Jan 1970 00:01:40 GMT', 40],
    ['soon', null],
    ['-5', null],
    [null, null],
  ])('reads Retry-After %s as %s s', (value, seconds) => {
    expect(parseRetryAfter(value, 60_000)).toBe(seconds)
  })
})

describe('the item schedule', () => {
  it('waits 15 s, then doubles, within 15 min, at least what Retry-After asked', () => {
    expect([1, 2, 3].map((a) => itemRetrySeconds(a, () => 0))).toEqual([15, 30, 60])
    expect(itemRetrySeconds(20, () => 0.5)).toBe(900)
    expect(itemRetrySeconds(1, () => 0, 200)).toBe(200)
  })
})

describe('wrangler.toml', () => {
  const byQueue = Object.fromEntries(consumers().map((c) => [c.queue, c]))

  it('gives each consumer the retries the code counts on, and the dead-letter queue', () => {
    const webhooks = byQueue[QUEUE_NAMES.webhooks]
    const items = byQueue[QUEUE_NAMES.batchItems]
    const jobs = byQueue[QUEUE_NAMES.jobs]
    expect(Number(webhooks?.max_retries)).toBe(WEBHOOK_MAX_ATTEMPTS - 1)
    expect(Number(items?.max_retries)).toBe(ITEM_MAX_ATTEMPTS - 1)
    expect(Number(jobs?.max_retries)).toBe(ITEM_MAX_ATTEMPTS - 1)
    for (const consumer of [webhooks, items, jobs]) {
      expect(consumer?.dead_letter_queue).toBe(QUEUE_NAMES.deadLetters)
      for (const setting of ['max_batch_size', 'max_batch_timeout', 'max_concurrency']) {
        expect(Number(consumer?.[setting]), setting).toBeGreaterThan(0)
      }
    }
  })

  it('consumes the dead-letter queue, or what lands there would be dropped', () => {
    expect(byQueue[QUEUE_NAMES.deadLetters]).toBeDefined()
  })
})
