/**
 * Runs one generation from an upstream answer (SSE or JSON) to stored images: each finished image
 * is decoded and written to R2 as it arrives, and the manifest is committed only when the whole
 * result arrived intact. A failure mid-way discards what was written (unless its URLs were
 * already handed out) and surfaces as a `GatewayError`.
 */
import { keyFields } from '../cache/cache-key'
import {
  MANIFEST_VERSION,
  type Manifest,
  type ResultMeta,
  type ResultStore,
  type StoredImage,
} from '../cache/store'
import { type Failure, GatewayError } from '../errors'
import type { NormalizedImageRequest } from '../schema/image-request'
import { decodeBase64 } from '../stream/base64'
import { readSseEvents } from '../stream/upstream-sse'
import { readJsonImages } from '../upstream/json-images'
import { asGatewayError } from './errors'
import type { GenerationEvent } from './events'

export interface GenerationContext {
  request: NormalizedImageRequest
  key: string
  store: ResultStore
  /** A cache bypass: replace an existing entry instead of yielding to it. */
  replace: boolean
  /** Image URLs reach the client as images arrive, so a failure must not delete them. */
  keepImagesOnFailure: boolean
  /** A body that sends nothing for this long has stalled and fails. */
  idleTimeoutMs: number
}

const CONTENT_POLICY_CODES = new Set(['moderation_blocked', 'content_policy_violation'])

/** Runs the generation; yields its events; stores the result when complete. */
export async function* generateAndStore(
  upstream: Response,
  ctx: GenerationContext,
): AsyncGenerator<GenerationEvent> {
  const stored: StoredImage[] = []
  let meta: ResultMeta = { created: Math.floor(Date.now() / 1000) }
  let images = 0
  const isSse = (upstream.headers.get('content-type') ?? '').includes('text/event-stream')
  const body = upstream.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })
  try {
    const source = isSse ? fromSse(body, ctx.idleTimeoutMs) : fromJson(body, ctx.idleTimeoutMs)
    for await (const item of source) {
      if (item.kind === 'meta') {
        meta = { ...meta, ...item.meta }
        continue
      }
      if (item.kind === 'passthrough') {
        yield item
        continue
      }
      const bytes = decodeBase64(item.b64)
      const image = await ctx.store.putImage(bytes, ctx.key)
      if (!image) throw new GatewayError({ kind: 'upstream_unavailable', cause: 'malformed' })
      stored.push(image)
      yield {
        kind: 'image',
        index: images++,
        b64: item.b64,
        stored: image,
        completedData: item.completedData,
      }
    }
    if (images === 0) throw new GatewayError({ kind: 'upstream_unavailable', cause: 'malformed' })
    // Fewer images than asked for is an incomplete result: delivered, never kept.
    if (images === ctx.request.n) {
      const manifest: Manifest = {
        version: MANIFEST_VERSION,
        key: ctx.key,
        storedAt: new Date().toISOString(),
        request: keyFields(ctx.request),
        result: meta,
        images: stored,
      }
      const committed = await ctx.store.commit(manifest, ctx.replace)
      if (!committed && !ctx.keepImagesOnFailure) await ctx.store.discard(stored)
    } else if (!ctx.keepImagesOnFailure) {
      await ctx.store.discard(stored)
    }
    yield { kind: 'done', meta }
  } catch (error) {
    if (!ctx.keepImagesOnFailure) await ctx.store.discard(stored).catch(() => {})
    throw asGatewayError(error)
  }
}

type SourceItem =
  | { kind: 'passthrough'; event: string; data: string }
  | { kind: 'image'; b64: string; completedData: string | null }
  | { kind: 'meta'; meta: Partial<ResultMeta> }

function pickMeta(from: Record<string, unknown>): Partial<ResultMeta> {
  const meta: Partial<ResultMeta> = {}
  const created = from.created ?? from.created_at
  if (typeof created === 'number') meta.created = created
  for (const field of ['size', 'quality', 'background', 'output_format'] as const) {
    if (typeof from[field] === 'string') meta[field] = from[field]
  }
  if (from.usage && typeof from.usage === 'object')
    meta.usage = from.usage as Record<string, unknown>
  return meta
}

async function* fromSse(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
): AsyncGenerator<SourceItem> {
  for await (const message of readSseEvents(body, idleMs)) {
    const event = message.event ?? 'message'
    if (event === 'error' || event.endsWith('.failed'))
      throw new GatewayError(streamFailure(message.data))
    if (event !== 'image_generation.completed') {
      yield { kind: 'passthrough', event, data: message.data }
      continue
    }
    const payload = parseObject(message.data)
    if (!payload || typeof payload.b64_json !== 'string') {
      throw new GatewayError({ kind: 'upstream_unavailable', cause: 'malformed' })
    }
    yield { kind: 'meta', meta: pickMeta(payload) }
    yield { kind: 'image', b64: payload.b64_json, completedData: message.data }
  }
}

async function* fromJson(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
): AsyncGenerator<SourceItem> {
  for await (const item of readJsonImages(body, idleMs)) {
    if (item.kind === 'image') yield { kind: 'image', b64: item.b64, completedData: null }
    else yield { kind: 'meta', meta: pickMeta(item.skeleton) }
  }
}

/** An `error` event from the upstream, classified; its message is kept only for policy blocks. */
function streamFailure(data: string): Failure {
  const payload = parseObject(data)
  const error = (payload?.error ?? payload) as Record<string, unknown> | undefined
  const code = typeof error?.code === 'string' ? error.code : null
  if (code && CONTENT_POLICY_CODES.has(code)) {
    const message =
      typeof error?.message === 'string'
        ? error.message
        : 'The request was blocked by the content policy.'
    return { kind: 'content_policy', message }
  }
  return { kind: 'upstream_unavailable', cause: 'status' }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text)
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}
