/**
 * SSE answer bytes (WHATWG server-sent events): keep-alive comments, completed events rebuilt
 * around an image's base64 where the upstream's own event is not at hand (cache hits, JSON
 * upstreams), completed events with a URL instead of base64, and the error frame the openai SDK
 * raises (its data is the OpenAI envelope as JSON, never Hono's plain-text default).
 */
import type { Failure } from '../failure'
import { publicError } from '../public-error'
import { completedEvent, type ImageKind } from '../result/events'
import type { ResultMeta } from '../result/result'
import { encoder } from '../stream/bytes'

export const KEEPALIVE = encoder.encode(': keep-alive\n\n')

/** One SSE frame; multi-line data is split into several `data:` lines as the spec requires. */
export function sseFrame(event: string, data: string): Uint8Array {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`)
  return encoder.encode(`event: ${event}\n${lines.join('\n')}\n\n`)
}

export function errorFrame(failure: Failure): Uint8Array {
  return sseFrame('error', JSON.stringify(publicError(failure).body))
}

/** The fields of a rebuilt completed event besides its image, in OpenAI's order. */
function completedFields(meta: ResultMeta): Record<string, unknown> {
  return {
    created_at: meta.created,
    size: meta.size,
    quality: meta.quality,
    background: meta.background,
    output_format: meta.output_format,
    usage: meta.usage,
  }
}

const completedHeads = Object.fromEntries(
  (['generation', 'edit'] as const).map((kind) => {
    const event = completedEvent(kind)
    return [kind, encoder.encode(`event: ${event}\ndata: {"type":"${event}","b64_json":"`)]
  }),
) as Record<ImageKind, Uint8Array>

/** A rebuilt completed event up to its base64: `event: …\ndata: {"type":…,"b64_json":"`. */
export function completedHead(kind: ImageKind): Uint8Array {
  return completedHeads[kind]
}

/** The rest of a rebuilt completed event after its base64. */
export function completedTail(meta: ResultMeta): Uint8Array {
  const rest = JSON.stringify(completedFields(meta)).slice(1)
  return encoder.encode(rest === '}' ? '"}\n\n' : `",${rest}\n\n`)
}

/**
 * A completed event that links to the stored image instead of carrying it: the upstream's own
 * event (without its base64) when there was one, else one rebuilt from `meta`.
 */
export function urlFrame(
  kind: ImageKind,
  payload: Record<string, unknown> | null,
  meta: ResultMeta,
  url: string,
): Uint8Array {
  const event = completedEvent(kind)
  const base: Record<string, unknown> = payload
    ? { ...payload }
    : { type: event, ...completedFields(meta) }
  delete base.b64_json
  return sseFrame(event, JSON.stringify({ ...base, url }))
}
