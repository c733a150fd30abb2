/**
 * A cache hit's answer, in exactly the shape a miss would have (the one place a hit's body is
 * made), and the saving counted on a managed key's ledger.
 */

import { answerResponse } from '../answer/respond'
import { costOf } from '../billing/prices'
import { recordHit } from '../billing/reservations'
import type { NearbyStore } from '../cache/nearby'
import type { Manifest } from '../cache/store'
import { fail } from '../errors'
import { hitBody } from '../generation/hit'
import { kindOf } from '../schema/image-request'
import type { Ask, Obtained } from './ask'
import type { GatewayContext } from './context'

export function answerHit(
  ctx: GatewayContext,
  { request, shape }: Ask,
  entry: Manifest,
  store: NearbyStore,
): Obtained {
  countHit(ctx, request, entry)
  const [first] = entry.images
  if (shape === 'redirect') {
    return first ? { kind: 'image', image: first, cache: 'HIT' } : fail({ kind: 'internal' })
  }
  const body = hitBody(shape, entry, store, ctx.origin, kindOf(request))
  return { kind: 'response', response: answerResponse(shape, body, { 'x-cache': 'HIT' }) }
}

/** A hit counted: on a managed key's ledger, and in the request's log row with its saving. */
export function countHit(ctx: GatewayContext, request: Ask['request'], entry: Manifest): void {
  const counting = recordHit(ctx.env, ctx.principal, request, entry.result.usage)
  if (counting) ctx.waitUntil(counting)
  // The demo generator costs nothing, so its hits spare nothing.
  ctx.log?.hit(entry.images, ctx.settings.demo ? 0 : costOf(request, entry.result.usage))
}
