/**
 * An embed's answer: a redirect to the stored image (or its variant), or the stream that watches
 * it form; a failure to make the picture is answered again for a while without the upstream.
 */
import { type VariantQuery, variantQuery } from '../cache/variants'
import { FailureMemory } from '../embed/failure-memory'
import { GatewayError } from '../errors'
import { imageUrl } from '../result/result'
import type { NormalizedImageRequest } from '../schema/image-request'
import { afterPipe } from '../stream/after-pipe'
import type { UpstreamPayload } from '../upstream/payload'
import type { GatewayContext } from './context'
import { obtain } from './obtain'

/** How long browsers may reuse the redirect: the URL-to-image mapping is stable. */
const REDIRECT_CACHE = 'public, max-age=3600'

export interface EmbedAsk {
  request: NormalizedImageRequest
  payload: UpstreamPayload
  /** `sse`: the partial images, then the image URL; else a redirect. */
  watch: 'sse' | 'redirect'
  /** The variant the redirect points at (both unset: the original). */
  variant: VariantQuery
  /** The embed URL, whose signed text names its remembered failure. */
  url: URL
}

export async function answerEmbed(ctx: GatewayContext, ask: EmbedAsk): Promise<Response> {
  const memory = await FailureMemory.of(ask.url)
  const remembered = await memory.recall()
  if (remembered) return remembered
  const { request, payload } = ask
  const shape = ask.watch === 'sse' ? 'sse-url' : 'redirect'
  const obtained = await obtain(ctx, { request, payload, shape, replace: false }).catch(
    (error: unknown) => {
      if (error instanceof GatewayError) ctx.waitUntil(memory.rememberFailure(error.failure))
      throw error
    },
  )
  if (obtained.kind === 'image') {
    return new Response(null, {
      status: 302,
      headers: {
        location: imageUrl(ctx.origin, obtained.image) + variantQuery(ask.variant),
        'cache-control': REDIRECT_CACHE,
        'x-cache': obtained.cache,
      },
    })
  }
  const { response, failure } = obtained
  // Once a stream from a generation has ended, its owner tells whether it ended with an error
  // (the bytes pass through untouched, so the worker never reads them). Hits cannot fail.
  const learn = async () => {
    const ended = await failure?.()
    if (ended) await memory.rememberFailure(ended)
  }
  const body =
    failure && response.body ? afterPipe(response.body, ctx.waitUntil, learn) : response.body
  const watched = new Response(body, response)
  // Pages on any origin may read the stream (EventSource); it holds nothing but public pixels.
  watched.headers.set('access-control-allow-origin', '*')
  return watched
}
