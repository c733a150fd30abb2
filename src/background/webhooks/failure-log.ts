/**
 * Where webhooks that could not be delivered are written down for the operator: a small
 * interface (the consumer records, an admin view lists), kept in memory for tests, or in the
 * WebhookFailureLog Durable Object (or D1, later) in the worker.
 */
import type { DeliveryOutcome } from './deliver'
import type { WebhookMessage } from './message'

/** How many entries a log keeps: the newest. */
export const MAX_FAILURE_ENTRIES = 1000

export interface FailedDelivery {
  /** The webhook-id: recording the same delivery again replaces its entry. */
  id: string
  url: string
  type: string
  keyId: string
  /** Attempts made; null when the dead-letter queue cannot tell. */
  attempts: number | null
  /** Why the last attempt failed, or `dead_lettered` when the queue gave up on it. */
  reason: string
  status: number | null
  createdAt: number
  failedAt: number
}

export interface FailureQuery {
  keyId?: string
  limit?: number
}

export interface DeliveryFailureLog {
  record(entry: FailedDelivery): Promise<void>
  /** Newest first. */
  list(query?: FailureQuery): Promise<FailedDelivery[]>
}

/** The entry for `message`, given up on at `failedAt` after `attempts` with `outcome`. */
export function failedDelivery(
  message: WebhookMessage,
  attempts: number | null,
  outcome: Extract<DeliveryOutcome, { ok: false }> | { reason: string; status?: number },
  failedAt = Date.now(),
): FailedDelivery {
  const reason =
    'refusal' in outcome && outcome.refusal ? `refused_url:${outcome.refusal}` : outcome.reason
  return {
    id: message.id,
    url: message.url,
    type: message.type,
    keyId: message.keyId,
    attempts,
    reason,
    status: outcome.status ?? null,
    createdAt: message.createdAt,
    failedAt,
  }
}

/** A bounded log in memory: for tests, and for phase-2 code that needs one before storage exists. */
export class MemoryFailureLog implements DeliveryFailureLog {
  private readonly entries = new Map<string, FailedDelivery>()

  async record(entry: FailedDelivery): Promise<void> {
    this.entries.delete(entry.id)
    this.entries.set(entry.id, entry)
    while (this.entries.size > MAX_FAILURE_ENTRIES) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }

  async list(query: FailureQuery = {}): Promise<FailedDelivery[]> {
    const all = [...this.entries.values()].reverse()
    const mine = query.keyId === undefined ? all : all.filter((e) => e.keyId === query.keyId)
    return mine.slice(0, query.limit ?? MAX_FAILURE_ENTRIES)
  }
}
