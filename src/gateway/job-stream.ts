/**
 * A job's events as server-sent events, each with its `id:`, read from its record as they come:
 * from the start, or after a Last-Event-ID (a reconnecting EventSource loses nothing kept). Tiny
 * JSON texts, one record call per wait, a comment while nothing happens; ends with the job.
 */
import type { JobEvent } from '../background/jobs/job-events'
import { ownerKeyOf } from './batch-submit'
import type { GatewayContext } from './context'
import { jobView, record } from './job-submit'

/** How long one wait for the next event lasts before a keep-alive comment. */
const WAIT_MS = 20_000

const encoder = new TextEncoder()

const frame = (event: JobEvent) => `id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`

export async function streamJob(
  ctx: GatewayContext,
  id: string,
  after: number | null,
): Promise<Response> {
  await jobView(ctx, id) // a 404 before the stream begins
  const stub = record(ctx, id)
  const requester = ownerKeyOf(ctx)
  let last = after
  let done = false
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) return
      const page = await stub.waitForEvents(requester, last, WAIT_MS)
      if (!page) {
        controller.close()
        done = true
        return
      }
      let text = page.gap ? ': some earlier events are no longer kept\n\n' : ''
      for (const event of page.events) {
        text += frame(event)
        last = event.id
      }
      if (page.events.length === 0 && !page.ended) text += ': keep-alive\n\n'
      if (text) controller.enqueue(encoder.encode(text))
      if (page.ended && page.events.length === 0) {
        controller.close()
        done = true
      }
    },
    cancel() {
      done = true
    },
  })
  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
    },
  })
}
