/**
 * A batch item on the items queue, as plain data: which batch and item, the key that asked (its
 * principal is looked up when the item runs, so a key revoked meanwhile stops), the item as the
 * client gave it (validated when the batch was made), and the most it can cost.
 */
import { z } from 'zod'
import { RECORD_ID_PATTERN } from '../records'
import { MAX_BATCH_ITEMS } from './batch-state'

export type BatchItemSpec =
  /** A generation request body, as the client sent it. */
  | { kind: 'request'; body: Record<string, unknown> }
  /** A signed embed URL (path and query), standing for its request. */
  | { kind: 'embed'; url: string }

export interface BatchItemMessage {
  kind: 'batch_item'
  v: 1
  batchId: string
  index: number
  ownerKeyId: string
  item: BatchItemSpec
  /** The most the item can cost (micro-dollars): what the batch holds against its cap. */
  estimateMicros: number
}

/** Queues take messages up to 128 KB; a little is left for their metadata. */
export const MAX_ITEM_MESSAGE_BYTES = 120_000

export const batchItemMessageSchema = z.strictObject({
  kind: z.literal('batch_item'),
  v: z.literal(1),
  batchId: z.string().regex(RECORD_ID_PATTERN),
  index: z.number().int().nonnegative().lt(MAX_BATCH_ITEMS),
  ownerKeyId: z.string().min(1).max(128),
  item: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('request'), body: z.record(z.string(), z.unknown()) }),
    z.strictObject({ kind: z.literal('embed'), url: z.string().max(16_384) }),
  ]),
  estimateMicros: z.number().int().nonnegative(),
})

/**
 * The messages of a batch's items, in order, for `sendBatch` (at most 100 a call); an item too
 * large for a queue message throws, naming it (the route checks sizes before making the batch).
 */
export function batchItemMessages(
  batchId: string,
  ownerKeyId: string,
  items: readonly { item: BatchItemSpec; estimateMicros: number }[],
): BatchItemMessage[] {
  const encoder = new TextEncoder()
  return items.map(({ item, estimateMicros }, index) => {
    const message: BatchItemMessage = {
      kind: 'batch_item',
      v: 1,
      batchId,
      index,
      ownerKeyId,
      item,
      estimateMicros,
    }
    if (encoder.encode(JSON.stringify(message)).length > MAX_ITEM_MESSAGE_BYTES) {
      throw new RangeError(`item ${index} is larger than a queue message may be`)
    }
    return message
  })
}
