/**
 * Making a batch: every item checked as its own request would be (a bad item is a 400 naming
 * `items[i].<field>`, and nothing is queued), the record made, then the items queued. Reading and
 * cancelling one answer only the key that made it.
 */
import { ownerIdOf } from '../access/owner'
import { authorize } from '../access/permissions'
import type { BatchChange, BatchRecord } from '../background/batches/batch-record'
import { type BatchView, publicBatch } from '../background/batches/batch-view'
import {
  type BatchItemMessage,
  type BatchItemSpec,
  batchItemMessages,
} from '../background/batches/item-message'
import { itemRequest } from '../background/batches/item-spec'
import { newRecordId, RECORD_ID_PATTERN, type WebhookTarget } from '../background/records'
import { webhookUrlRefusal } from '../background/webhooks/webhook-url'
import { estimateCost, MICROS_PER_USD } from '../billing/prices'
import { authorizeEmbed } from '../embed/embed-request'
import { fail, GatewayError } from '../errors'
import type { Failure } from '../failure'
import { normalize } from '../schema/image-request'
import { assertUpstreamSupports } from '../upstream/target'
import type { GatewayContext } from './context'

export interface NewBatch {
  items: BatchItemSpec[]
  max_cost_usd?: number
  webhook_url?: string
}

/** A queue's sendBatch takes at most 100 messages and 256 KB. */
const SEND_MESSAGES = 100
const SEND_BYTES = 250_000

/** The key a batch or job belongs to; a caller with no key has none (403). */
export function ownerKeyOf(ctx: GatewayContext): string {
  const owner = ownerIdOf(ctx.principal)
  if (owner === null)
    fail({
      kind: 'forbidden',
      code: 'key_required',
      param: null,
      message: 'Batches and async jobs belong to a key: call with a client key.',
    })
  return owner
}

/** The webhook a batch or job announces its end to: its own URL, or its key's default. */
export function webhookTarget(
  ctx: GatewayContext,
  owner: string,
  url: string | undefined,
): WebhookTarget | null {
  const wanted = url ?? (ctx.principal.kind === 'managed' ? ctx.principal.record.webhookUrl : null)
  if (!wanted) return null
  const ownHost = ctx.origin ? new URL(ctx.origin).hostname : null
  const refusal = webhookUrlRefusal(wanted, ctx.settings.webhookUrlHosts, ownHost, 'webhook_url')
  if (refusal) fail(refusal)
  if (ctx.principal.kind !== 'managed')
    fail(invalid('webhook_url', 'Webhooks are signed with a managed key’s webhook_secret.'))
  return { url: wanted, keyId: owner }
}

export async function submitBatch(ctx: GatewayContext, batch: NewBatch) {
  const owner = ownerKeyOf(ctx)
  const checked = await Promise.all(batch.items.map((item, index) => checkItem(ctx, item, index)))
  const webhook = webhookTarget(ctx, owner, batch.webhook_url)
  const id = newRecordId('batch')
  let messages: BatchItemMessage[]
  try {
    messages = batchItemMessages(id, owner, checked)
  } catch (error) {
    fail(invalid('items', error instanceof Error ? error.message : 'an item is too large'))
  }
  const maxCostMicros =
    batch.max_cost_usd === undefined ? null : Math.round(batch.max_cost_usd * MICROS_PER_USD)
  const created = await record(ctx, id).create({
    id,
    ownerKeyId: owner,
    total: messages.length,
    maxCostMicros,
    webhook,
  })
  if (!created.ok) fail({ kind: 'internal' })
  await sendAll(ctx.env.BATCH_ITEMS, messages)
  const url = `${ctx.origin}/v1/images/batches/${id}`
  return {
    id,
    object: 'image.batch' as const,
    status: 'queued' as const,
    total: messages.length,
    url,
  }
}

/** The batch as its owner sees it; a 404 for anyone else, or an id that names none. */
export async function readBatch(ctx: GatewayContext, id: string) {
  const view = RECORD_ID_PATTERN.test(id) ? await record(ctx, id).view(ownerKeyOf(ctx)) : null
  if (!view) fail(noBatch(id))
  return publicBatch(view as BatchView)
}

/** Cancels for the owner: waiting items are cancelled, running ones finish. */
export async function cancelBatch(ctx: GatewayContext, id: string) {
  const stub = RECORD_ID_PATTERN.test(id) ? record(ctx, id) : null
  const cancelled = stub ? await stub.cancel(ownerKeyOf(ctx)) : null
  if (!stub || !cancelled) fail(noBatch(id))
  const change = cancelled as BatchChange & { view: BatchView }
  if (change.notify) {
    await ctx.env.WEBHOOKS.send(change.notify, { contentType: 'json' })
    await stub.notified()
  }
  return publicBatch(change.view)
}

async function checkItem(ctx: GatewayContext, item: BatchItemSpec, index: number) {
  const parsed = itemRequest(item, index)
  if (!parsed.ok) fail(parsed.failure)
  const request = normalize(parsed.input)
  try {
    authorize(ctx.settings, ctx.principal, request)
    assertUpstreamSupports(ctx.settings.upstream, request)
    // A signed embed URL must carry a good signature: its item is what the page will show.
    if (parsed.params?.has('sig')) await authorizeEmbed(ctx.settings, parsed.params, 'batch')
  } catch (error) {
    if (error instanceof GatewayError) fail(atItem(error.failure, index, item.kind))
    throw error
  }
  return { item, estimateMicros: estimateCost(request) }
}

/** A refusal of one item, named by its place in the batch. */
function atItem(failure: Failure, index: number, kind: BatchItemSpec['kind']): Failure {
  if (failure.kind !== 'invalid_request' && failure.kind !== 'forbidden') return failure
  const at = kind === 'embed' ? `items[${index}].url` : `items[${index}]`
  const param = failure.param && kind === 'request' ? `${at}.${failure.param}` : at
  return { ...failure, param, message: `items[${index}]: ${failure.message}` }
}

async function sendAll(queue: Queue, messages: BatchItemMessage[]): Promise<void> {
  let chunk: MessageSendRequest[] = []
  let bytes = 0
  for (const body of messages) {
    const size = JSON.stringify(body).length
    if (chunk.length === SEND_MESSAGES || (chunk.length > 0 && bytes + size > SEND_BYTES)) {
      await queue.sendBatch(chunk)
      chunk = []
      bytes = 0
    }
    chunk.push({ body, contentType: 'json' })
    bytes += size
  }
  if (chunk.length > 0) await queue.sendBatch(chunk)
}

function record(ctx: GatewayContext, id: string): DurableObjectStub<BatchRecord> {
  return ctx.env.BATCHES.get(ctx.env.BATCHES.idFromName(id))
}

const noBatch = (id: string): Failure => ({ kind: 'not_found', message: `No batch '${id}'.` })

function invalid(param: string, message: string): Failure {
  return { kind: 'invalid_request', param, code: 'invalid_value', message }
}
