/**
 * The owner's fan-out driven piece by piece, for tests: a generation with a real store and writer,
 * frames and images published as the owner would, and readers of its subscribers' answers.
 */
import { env } from 'cloudflare:workers'
import { expect } from 'vitest'
import { ResultStore } from '../../src/cache/store'
import { Generation } from '../../src/generation/generation'
import { ResultWriter } from '../../src/generation/result-writer'
import { LAG_LIMIT_BYTES, type Subscriber } from '../../src/generation/subscriber'
import type { SubscriberEvents } from '../../src/generation/subscription'
import type { ImageKind } from '../../src/result/events'
import type { Piece } from '../../src/result/pieces'
import type { ResultMeta } from '../../src/result/result'
import { normalize } from '../../src/schema/image-request'
import { encodeBase64 } from '../../src/stream/base64'
import { UNPOOLED } from '../../src/stream/buffer-pool'

export const PIECE = 64 * 1024
export const encoder = new TextEncoder()
export const ORIGIN = 'https://gateway.test'
/** How long the owner waits for a reader over its limit (a second in production). */
export const GRACE_MS = 50

/** `n` images are asked for; `meta` is what the request asked for; `kind` names its events. */
export interface SetupOptions {
  n?: number
  meta?: ResultMeta
  kind?: ImageKind
}

/** What a generation's subscribers told: how often each fell behind or was parked, what it wrote. */
export function watchSubscribers() {
  const counts = new Map<Subscriber, { fellBehind: number; parked: number; written: number }>()
  const of = (subscriber: Subscriber) => {
    const count = counts.get(subscriber) ?? { fellBehind: 0, parked: 0, written: 0 }
    counts.set(subscriber, count)
    return count
  }
  const left = new Set<Subscriber>()
  const events: SubscriberEvents<Subscriber> = {
    fellBehind: (subscriber) => {
      of(subscriber).fellBehind++
    },
    parked: (subscriber) => {
      of(subscriber).parked++
    },
    wrote: (subscriber, bytes) => {
      of(subscriber).written += bytes
    },
    left: (subscriber) => {
      left.add(subscriber)
    },
  }
  return {
    events,
    /** How often `subscriber` fell behind. */
    fellBehind: (subscriber: Subscriber) => of(subscriber).fellBehind,
    /** How often `subscriber`'s reader took nothing for a while, so it was parked. */
    parked: (subscriber: Subscriber) => of(subscriber).parked,
    /** Bytes written into `subscriber`'s client's pipe so far. */
    written: (subscriber: Subscriber) => of(subscriber).written,
    /** The subscribers that left the generation. */
    left,
  }
}

export function setup(graceMs = GRACE_MS, options: SetupOptions = {}) {
  const store = new ResultStore(env.IMAGES, null)
  const key = crypto.randomUUID()
  const writer = new ResultWriter({
    request: normalize({ prompt: 'a fox', n: options.n ?? 1 }),
    key,
    store,
    replace: false,
    keepImagesOnFailure: false,
    generationId: crypto.randomUUID(),
    inputs: { objects: [], keep: false },
  })
  const meta = options.meta ?? { created: 1 }
  const watch = watchSubscribers()
  const gen = new Generation(store, meta, writer, 60_000, graceMs, options.kind, watch.events)
  gen.start({ upstreamRequestId: 'req_1', upstreamKind: 'remote', upstreamFirstByteMs: 5 })
  // As the owner reads the upstream: no faster than the store and the live readers take it.
  const publish = async (piece: Piece) => {
    gen.publish(piece)
    await writer.ready()
    await gen.ready()
  }
  return { gen, writer, publish, key, watch }
}

/** A partial-image frame of about `size` bytes, distinct per `index`. */
export function partialFrame(index: number, size: number): Uint8Array {
  const filler = String.fromCharCode(65 + index).repeat(size)
  return encoder.encode(
    `event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image","b64_json":"${filler}","partial_image_index":${index}}\n\n`,
  )
}

export async function publishFrame(
  publish: (p: Piece) => Promise<void>,
  frame: Uint8Array,
  watch: Subscriber[] = [],
) {
  await publish({ kind: 'frame-begin', event: 'image_generation.partial_image' })
  for (let at = 0; at < frame.length; at += PIECE) {
    await publish({ kind: 'frame-bytes', bytes: frame.slice(at, at + PIECE), ref: UNPOOLED })
    for (const subscriber of watch) {
      expect(subscriber.queuedBytes).toBeLessThanOrEqual(LAG_LIMIT_BYTES + PIECE)
    }
  }
  await publish({ kind: 'frame-end' })
}

/** A PNG-looking image and its base64. */
export function image(bytes: number) {
  const data = new Uint8Array(bytes)
  for (let at = 0; at < bytes; at += 65_536) {
    crypto.getRandomValues(data.subarray(at, Math.min(bytes, at + 65_536)))
  }
  data.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return encodeBase64(data)
}

export async function publishImage(
  publish: (p: Piece) => Promise<void>,
  b64: string,
  watch: Subscriber[] = [],
) {
  const prefix = encoder.encode(
    'event: image_generation.completed\ndata: {"type":"image_generation.completed","b64_json":"',
  )
  const suffix = encoder.encode('","usage":{"total_tokens":3}}\n\n')
  await publish({ kind: 'image-begin', index: 0, prefix })
  const text = encoder.encode(b64)
  for (let at = 0; at < text.length; at += PIECE) {
    await publish({ kind: 'base64', bytes: text.slice(at, at + PIECE), ref: UNPOOLED })
    for (const subscriber of watch) {
      expect(subscriber.queuedBytes).toBeLessThanOrEqual(LAG_LIMIT_BYTES + PIECE)
    }
  }
  await publish({
    kind: 'image-end',
    index: 0,
    suffix,
    payload: { type: 'image_generation.completed', usage: { total_tokens: 3 } },
  })
  return new Uint8Array([...prefix, ...text, ...suffix])
}

/** Reads at least `bytes` of an answer, and stops; returns them as text. */
export async function readSome(subscriber: Subscriber, bytes: number): Promise<string> {
  const reader = subscriber.body.getReader()
  const decoder = new TextDecoder()
  let read = 0
  let text = ''
  while (read < bytes) {
    const value = (await reader.read()).value as Uint8Array
    read += value.length
    text += decoder.decode(value, { stream: true })
  }
  reader.releaseLock()
  return text
}

/** Everything left in a stream, as text; `progress.bytes` counts what was read so far. */
export async function readRest(
  body: ReadableStream<Uint8Array>,
  progress = { bytes: 0 },
): Promise<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return text + decoder.decode()
    progress.bytes += value.length
    text += decoder.decode(value, { stream: true })
  }
}

/** The SSE events in a body, each as its exact bytes. */
export function frames(body: string): string[] {
  return body.split(/(?<=\n\n)/).filter((frame) => !frame.startsWith(':'))
}
