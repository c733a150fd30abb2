/**
 * The rows a generation's owner writes when the generation has ended, one per waiter it answered:
 * what only the owner knows (money held and charged, the pictures, the upstream, how it ended).
 */
import type { Failure } from '../failure'
import type { StoredImage } from '../result/result'
import type { NormalizedImageRequest } from '../schema/image-request'
import { emptyRow, failureFields, fileName, type LogIdentity, requestFields } from './request-notes'
import type { RequestRow } from './row'

/** A waiter as the owner saw it: who (null: not logged) and what it asked. */
export interface LoggedWaiter {
  log?: LogIdentity | null
  request: NormalizedImageRequest
}

export interface GenerationEnd {
  /** Null when it succeeded. */
  failure: Failure | null
  images: readonly StoredImage[]
  /** The upstream's name (never its URL or key); null when none answered (a pool's failover ran out). */
  upstream: string | null
  /** What the upstream's usage was worth (0 for the demo generator, or when it failed). */
  costMicros: number
  /** The starter's payer: held before the call, charged when settled (0 when refunded). */
  reservedMicros: number
  chargedMicros: number
  endedAt: number
}

/**
 * The starter's row carries the money; a joiner's, the price it was spared. Each row's status is
 * the generation's (200, or its failure's even when the answer had begun), and its duration runs
 * from the waiter's arrival to the generation's end.
 */
export function ownerRows(
  starter: LoggedWaiter,
  joiners: readonly LoggedWaiter[],
  end: GenerationEnd,
): RequestRow[] {
  const outcome = end.failure ? failureFields(end.failure) : { status: 200, code: null }
  const row = ({ log, request }: LoggedWaiter, money: Partial<RequestRow>): RequestRow[] =>
    log
      ? [
          {
            ...emptyRow(log),
            ...requestFields(request),
            ...outcome,
            upstream: end.upstream,
            images: end.images.map(fileName),
            durationMs: Math.max(0, end.endedAt - log.createdAt),
            ...money,
          },
        ]
      : []
  return [
    ...row(starter, {
      reservedMicros: end.reservedMicros,
      chargedMicros: end.chargedMicros,
      costMicros: end.costMicros,
    }),
    ...joiners.flatMap((joiner) => row(joiner, { savedMicros: end.failure ? 0 : end.costMicros })),
  ]
}
