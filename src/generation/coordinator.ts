/**
 * The one owner of each cache key (a Durable Object named by the key): concurrent identical
 * requests join a single upstream generation and all get its result. The generation is the
 * owner's, not any client's: it runs to its end and is stored even if every client leaves
 * (bounded by the platform: see README, "One generation per picture"). A failure reaches every
 * waiter at once; the next request starts afresh.
 */
import { DurableObject } from 'cloudflare:workers'
import { type BillingRef, refund, settle } from '../access/billing'
import { costOf, estimateCost } from '../access/pricing'
import { ResultStore } from '../cache/store'
import type { Bindings } from '../env'
import type { NormalizedImageRequest } from '../schema/image-request'
import { callUpstream } from '../upstream/client'
import { targetFromSettings, type UpstreamSettings } from '../upstream/target'
import { Broadcast } from './broadcast'
import { asGatewayError } from './errors'
import { type GenerationContext, generateAndStore } from './generate'

export interface JoinRequest {
  key: string
  request: NormalizedImageRequest
  upstreamBody: Record<string, unknown>
  /** Which upstream to call, resolved by the worker that received the request. */
  upstream: UpstreamSettings
  /** A cache bypass: generate even if an entry exists, and replace it. */
  replace: boolean
  /** This waiter will hand out image URLs as they arrive. */
  wantsUrls: boolean
  /** The cache TTL the worker applies, so owner and worker agree on what counts as cached. */
  ttlSeconds: number | null
  /** Funds reserved for this request; settled by whoever ends up paying, refunded otherwise. */
  billing: BillingRef | null
}

interface Running {
  broadcast: Broadcast
  context: GenerationContext
}

export class GenerationCoordinator extends DurableObject<Bindings> {
  private running: Running | null = null

  /** Joins the running generation for this key, or starts one. Returns NDJSON wire messages. */
  join(join: JoinRequest): ReadableStream<Uint8Array> {
    if (this.running) {
      // Once any waiter has been given URLs, a failure must not delete the images behind them.
      if (join.wantsUrls) this.running.context.keepImagesOnFailure = true
      // A joiner's picture is already paid for by whoever started the generation.
      if (join.billing) this.ctx.waitUntil(refund(this.env, join.billing))
      return this.running.broadcast.subscribe()
    }
    const running: Running = {
      broadcast: new Broadcast(),
      context: {
        request: join.request,
        key: join.key,
        store: new ResultStore(this.env.IMAGES, join.ttlSeconds),
        replace: join.replace,
        keepImagesOnFailure: join.wantsUrls,
        idleTimeoutMs: join.upstream.idleTimeoutMs,
      },
    }
    this.running = running
    const stream = running.broadcast.subscribe()
    this.ctx.waitUntil(this.run(running, join))
    return stream
  }

  private async run(running: Running, join: JoinRequest): Promise<void> {
    const { broadcast, context } = running
    let paid = false
    try {
      // A request that missed the cache just before the last generation committed lands here.
      if (!join.replace && (await context.store.lookup(join.key))) {
        broadcast.publish({ t: 'cached' })
        return
      }
      const target = targetFromSettings(join.upstream)
      const upstream = await callUpstream(target, { body: join.upstreamBody })
      broadcast.publish({
        t: 'started',
        upstreamRequestId: upstream.headers.get('x-request-id'),
        upstreamKind: target.kind,
      })
      for await (const event of generateAndStore(upstream, context)) {
        if (event.kind === 'done' && join.billing) {
          // Without a usage report, the reserved estimate is what it may have cost.
          const { usage } = event.meta
          const cost = usage ? costOf(join.request.model, usage) : estimateCost(join.request)
          await settle(this.env, join.billing, cost)
          paid = true
        }
        broadcast.publish({ t: 'event', event })
      }
    } catch (error) {
      broadcast.publish({ t: 'error', failure: asGatewayError(error).failure })
    } finally {
      if (join.billing && !paid) await refund(this.env, join.billing).catch(() => {})
      if (this.running === running) this.running = null
      broadcast.close()
    }
  }
}
