/**
 * What a batch looks like from outside: what makes one, the record's view (micro-dollars, ms) and
 * its public JSON (`GET /v1/images/batches/{id}` answers it; the webhook carries it without the
 * failures).
 */

import type { WebhookTarget } from '../records'
import type { BatchStatus, ItemFailure, ItemState } from './batch-state'

export interface BatchView {
  id: string
  status: BatchStatus
  total: number
  counts: Record<ItemState, number>
  costMicros: number
  /** Held by items in progress: the most they may still cost. */
  heldMicros: number
  maxCostMicros: number | null
  failures: ItemFailure[]
  createdAt: number
  endedAt: number | null
  expiresAt: number | null
}

const usd = (micros: number) => Math.round(micros) / 1_000_000
const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000))

/** The batch as the API answers it. */
export function publicBatch(view: BatchView, withFailures = true) {
  return {
    id: view.id,
    object: 'image.batch' as const,
    status: view.status,
    total: view.total,
    counts: view.counts,
    cost_usd: usd(view.costMicros),
    max_cost_usd: view.maxCostMicros === null ? null : usd(view.maxCostMicros),
    ...(withFailures ? { failures: view.failures } : {}),
    created_at: seconds(view.createdAt),
    ended_at: seconds(view.endedAt),
    expires_at: seconds(view.expiresAt),
  }
}

export interface BatchInit {
  id: string
  ownerKeyId: string
  total: number
  maxCostMicros: number | null
  webhook: WebhookTarget | null
  now?: number
  keepSeconds?: number
  runSeconds?: number
}
