/**
 * The result store as the worker reads it: through this data centre's edge cache first, R2 only
 * when the data centre has not seen the object yet. Writes and the generation's owner use R2.
 */

import { IMAGE_TYPES, type StoredImage } from '../result/result'
import { deleteEdge, matchEdge, putEdge } from './edge-cache'
import { imagePath, type Manifest, manifestPath, type ResultStore } from './store'

/** How long a data centre answers from a stored result's manifest without asking R2 again. */
export const MANIFEST_EDGE_SECONDS = 300
/** Images up to this size fill the edge cache from the same R2 read as the answer (a tee). */
export const TEE_BYTES = 4 * 1024 * 1024
export const IMMUTABLE = 'public, max-age=31536000, immutable'

/** Runs work after the answer (the request's waitUntil). */
export type Defer = (work: Promise<unknown>) => void

/**
 * A stored result's manifest is kept here for at most MANIFEST_EDGE_SECONDS (and never past its
 * TTL), so a replaced entry is stale here for at most that long; images are immutable and kept
 * as long as the edge cache likes.
 */
export class NearbyStore {
  constructor(
    readonly store: ResultStore,
    private readonly defer: Defer,
  ) {}

  /** The entry for a key, from this data centre's cache if it has it, else from R2. */
  async lookup(key: string): Promise<Manifest | null> {
    const cached = await matchEdge(manifestPath(key))
    if (cached) {
      const manifest = this.store.valid(await cached.json().catch(() => null))
      if (manifest) return manifest
    }
    const manifest = await this.store.lookup(key)
    if (manifest) {
      const left = this.store.freshSeconds(manifest)
      const seconds = Math.floor(Math.min(MANIFEST_EDGE_SECONDS, left ?? MANIFEST_EDGE_SECONDS))
      if (seconds > 0) {
        const answer = Response.json(manifest, {
          headers: { 'cache-control': `public, max-age=${seconds}` },
        })
        this.defer(putEdge(manifestPath(key), answer))
      }
    }
    return manifest
  }

  /** Forgets this data centre's copy of an entry (it was replaced). */
  forget(key: string): Promise<void> {
    return deleteEdge(manifestPath(key))
  }

  /** An image's bytes from `offset` on: from this data centre's cache, else from R2. */
  async readImage(image: StoredImage, offset = 0): Promise<ReadableStream<Uint8Array> | null> {
    const wanted = new Request(
      'https://edge',
      offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {},
    )
    const cached = await matchEdge(imagePath(image.id, image.ext), wanted)
    if (cached?.body) return cached.body
    const object = await this.store.bucket.get(
      imagePath(image.id, image.ext),
      offset > 0 ? { range: { offset } } : undefined,
    )
    if (!object || !('body' in object)) return null
    if (offset > 0 || object.size > TEE_BYTES) {
      this.fillLater(imagePath(image.id, image.ext))
      return object.body
    }
    const [answer, cache] = object.body.tee()
    this.defer(putEdge(imagePath(image.id, image.ext), imageResponse(object, cache)))
    return answer
  }

  /**
   * Keeps a stored image in this data centre's cache (as `cacheAs`, by default its own path), from
   * a read of its own (after the answer).
   */
  fillLater(path: string, cacheAs = path): void {
    this.defer(
      (async () => {
        const object = await this.store.bucket.get(path)
        if (object && 'body' in object) await putEdge(cacheAs, imageResponse(object, object.body))
      })(),
    )
  }
}

/** An image object as a cacheable answer: immutable, its type, its ETag. */
export function imageResponse(object: R2Object, body: ReadableStream<Uint8Array>): Response {
  const headers = new Headers({
    etag: object.httpEtag,
    'cache-control': IMMUTABLE,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    'content-length': String(object.size),
  })
  object.writeHttpMetadata(headers)
  if (!headers.has('content-type')) {
    const ext = object.key.slice(object.key.lastIndexOf('.') + 1) as keyof typeof IMAGE_TYPES
    if (IMAGE_TYPES[ext]) headers.set('content-type', IMAGE_TYPES[ext])
  }
  return new Response(body, { headers })
}
