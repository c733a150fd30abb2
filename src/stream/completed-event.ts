/**
 * Payloads of `image_generation.completed` events. The upstream's own payload is forwarded
 * byte for byte; one is rebuilt only for cache hits, JSON-answering upstreams, and URL answers.
 */
import type { ResultMeta } from '../cache/store'
import type { GenerationEvent } from '../generation/events'

type ImageEvent = Extract<GenerationEvent, { kind: 'image' }>

/** The completed-event payload for an image; `url` replaces `b64_json` when given. */
export function completedEventData(
  event: ImageEvent,
  meta: ResultMeta,
  url: string | null,
): string {
  if (event.completedData && !url) return event.completedData
  const base: Record<string, unknown> = event.completedData
    ? (JSON.parse(event.completedData) as Record<string, unknown>)
    : {
        type: 'image_generation.completed',
        b64_json: event.b64,
        created_at: meta.created,
        size: meta.size,
        quality: meta.quality,
        background: meta.background,
        output_format: meta.output_format,
        usage: meta.usage,
      }
  if (url) {
    delete base.b64_json
    base.url = url
  }
  return JSON.stringify(base)
}
