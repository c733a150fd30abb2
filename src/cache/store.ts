/**
 * The R2 storage schema: each image its own object (`images/{id}.{ext}`), and per cache key a
 * manifest listing them, written last, so an entry exists only once every image of it is stored.
 */
import { IMAGE_TYPES, type ImageExt, type ResultMeta, type StoredImage } from '../result/result'
import { hex } from '../stream/bytes'
import type { KeyFields } from './cache-key'
import { PartWriter } from './part-writer'

export const MANIFEST_VERSION = 1

export interface Manifest {
  version: typeof MANIFEST_VERSION
  key: string
  storedAt: string
  request: KeyFields
  result: ResultMeta
  images: StoredImage[]
  /** An edit's input pictures, in order (mask last), when the operator keeps them (R2 keys). */
  inputs?: string[]
}

export const manifestPath = (key: string) => `manifests/${key}.json`
export const imagePath = (id: string, ext: ImageExt) => `images/${id}.${ext}`

export function randomId(): string {
  return hex(crypto.getRandomValues(new Uint8Array(16)))
}

export class ResultStore {
  /** `ttlSeconds` null keeps entries forever. */
  constructor(
    readonly bucket: R2Bucket,
    private readonly ttlSeconds: number | null,
  ) {}

  /** The entry for a key, or null when there is none, it has expired, or it is unreadable. */
  async lookup(key: string): Promise<Manifest | null> {
    const object = await this.bucket.get(manifestPath(key))
    if (!object) return null
    return this.valid(await object.json().catch(() => null))
  }

  /** A manifest read from anywhere, if it is one this store still answers with. */
  valid(value: unknown): Manifest | null {
    const manifest = value as Manifest | null
    if (manifest?.version !== MANIFEST_VERSION) return null
    const left = this.freshSeconds(manifest)
    return left === null || left > 0 ? manifest : null
  }

  /** Seconds until an entry expires; null when entries are kept forever. */
  freshSeconds(manifest: Manifest, now = Date.now()): number | null {
    if (this.ttlSeconds === null) return null
    return (Date.parse(manifest.storedAt) + this.ttlSeconds * 1000 - now) / 1000
  }

  /** A writer for a new image of type `ext`, under a fresh id, written in bounded parts. */
  imageWriter(ext: ImageExt, key: string): PartWriter & { id: string; ext: ImageExt } {
    const id = randomId()
    const writer = new PartWriter(this.bucket, imagePath(id, ext), {
      httpMetadata: { contentType: IMAGE_TYPES[ext] },
      customMetadata: { cacheKey: key },
    })
    return Object.assign(writer, { id, ext })
  }

  /**
   * Makes an entry visible. Create-only unless `replace` (a cache bypass), so two racing
   * generations never overwrite each other. Returns whether this manifest is now the entry;
   * when not, the caller decides about its images (URLs may have been handed out already).
   */
  async commit(manifest: Manifest, replace: boolean): Promise<boolean> {
    const body = JSON.stringify(manifest)
    const options: R2PutOptions = { httpMetadata: { contentType: 'application/json' } }
    if (!replace) options.onlyIf = { etagDoesNotMatch: '*' }
    const written = await this.bucket.put(manifestPath(manifest.key), body, options)
    if (written) return true
    // An entry exists already. An expired one may be replaced; a live one wins the race.
    if (!(await this.lookup(manifest.key))) {
      await this.bucket.put(manifestPath(manifest.key), body, {
        httpMetadata: { contentType: 'application/json' },
      })
      return true
    }
    return false
  }

  /** Deletes images of a generation that will not become an entry. */
  async discard(images: StoredImage[]): Promise<void> {
    if (images.length > 0)
      await this.bucket.delete(images.map((image) => imagePath(image.id, image.ext)))
  }

  /** An image's bytes from byte `offset` on, or null when it is gone. */
  async readImage(image: StoredImage, offset = 0): Promise<ReadableStream<Uint8Array> | null> {
    const object = await this.bucket.get(
      imagePath(image.id, image.ext),
      offset > 0 ? { range: { offset } } : undefined,
    )
    return object && 'body' in object ? object.body : null
  }
}
