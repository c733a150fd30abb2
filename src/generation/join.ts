/**
 * The worker's side of coalescing: hand the request to the owner of its cache key and read the
 * owner's messages back as generation events. Images a late joiner missed arrive as references
 * to their stored copies and are read back from R2 only when the answer needs their bytes; an
 * image sent inside its completed-event payload gives up its base64 only when needed too.
 */
import type { ResultStore } from '../cache/store'
import type { Bindings } from '../env'
import { GatewayError } from '../errors'
import { encodeBase64 } from '../stream/base64'
import type { JoinRequest } from './coordinator'
import type { GenerationEvent } from './events'
import { readMessages } from './wire'

export type Joined =
  | { kind: 'cached' }
  | {
      kind: 'started'
      events: AsyncGenerator<GenerationEvent>
      upstreamHeaders: Record<string, string>
    }

/** Joins (or starts) the generation for `join.key`; resolves once the upstream has accepted it. */
export async function joinGeneration(
  env: Bindings,
  join: JoinRequest,
  store: ResultStore,
  needBase64: boolean,
): Promise<Joined> {
  const owner = env.GENERATIONS.get(env.GENERATIONS.idFromName(join.key))
  const messages = readMessages(await owner.join(join))
  const first = (await messages.next()).value
  if (!first) throw new GatewayError({ kind: 'internal' })
  if (first.t === 'error') throw new GatewayError(first.failure)
  if (first.t === 'cached') return { kind: 'cached' }
  if (first.t !== 'started') throw new GatewayError({ kind: 'internal' })
  const upstreamHeaders: Record<string, string> = { 'x-upstream': first.upstreamKind }
  if (first.upstreamRequestId) upstreamHeaders['x-request-id'] = first.upstreamRequestId
  async function* events(): AsyncGenerator<GenerationEvent> {
    for await (const message of messages) {
      if (message.t === 'error') throw new GatewayError(message.failure)
      if (message.t !== 'event') continue
      const { event } = message
      if (event.kind !== 'image' || event.b64 || !needBase64) {
        yield event
      } else if (event.completedData) {
        // Sent once, inside the upstream's completed payload (see wire.ts).
        const payload = JSON.parse(event.completedData) as { b64_json?: unknown }
        yield { ...event, b64: typeof payload.b64_json === 'string' ? payload.b64_json : '' }
      } else if (event.stored) {
        const object = await store.getImage(event.stored.id, event.stored.ext)
        if (!object || !('body' in object)) throw new GatewayError({ kind: 'internal' })
        yield { ...event, b64: encodeBase64(new Uint8Array(await object.arrayBuffer())) }
      } else {
        yield event
      }
    }
  }
  return { kind: 'started', events: events(), upstreamHeaders }
}
