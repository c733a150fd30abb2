/**
 * The R2 storage schema. Each image is its own binary object (`images/{id}.{ext}`, with its
 * content type); a small JSON manifest per cache key (`manifests/{key}.json`) lists them. The
 * manifest is written last, so an entry exists only once every image of it is stored: a failed
 * or truncated generation never becomes visible, and its already-written images are deleted.
 */
import type { KeyFields } from './cache-key'

export const MANIFEST_VERSION = 1

export const IMAGE_TYPES = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
} as const
export type ImageExt = keyof typeof IMAGE_TYPES

export interface StoredImage {
  /** 128 random bits, hex: unguessable, so an image URL is as private as the request behind it. */
  id: string
  ext: ImageExt
  bytes: number
}

/** What the upstream said about the result, kept to answer hits in the same shape as misses. */
export interface ResultMeta {
  created: number
  size?: string
  quality?: string
  background?: string
  output_format?: string
  usage?: Record<string, unknown>
}

export interface Manifest {
  version: typeof MANIFEST_VERSION
  key: string
  storedAt: string
  request: KeyFields
  result: ResultMeta
  images: StoredImage[]
}

export const manifestPath = (key: string) => `manifests/${key}.json`
export const imagePath = (id: string, ext: ImageExt) => `images/${id}.${ext}`

/** Recognises an image by its signature bytes, so the stored content type is never a guess. */
export function sniffImage(bytes: Uint8Array): ImageExt | null {
  const at = (i: number) => bytes[i]
  if (at(0) === 0x89 && at(1) === 0x50 && at(2) === 0x4e && at(3) === 0x47) return 'png'
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg'
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to))
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp'
  return null
}

function randomId(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
}

export class ResultStore {
  /** `ttlSeconds` null keeps entries forever. */
  constructor(
    private readonly bucket: R2Bucket,
    private readonly ttlSeconds: number | null,
  ) {}

  /** The entry for a key, or null when there is none, it has expired, or it is unreadable. */
  async lookup(key: string): Promise<Manifest | null> {
    const object = await this.bucket.get(manifestPath(key))
    if (!object) return null
    const manifest = (await object.json().catch(() => null)) as Manifest | null
    if (manifest?.version !== MANIFEST_VERSION) return null
    if (
      this.ttlSeconds !== null &&
      Date.parse(manifest.storedAt) + this.ttlSeconds * 1000 < Date.now()
    ) {
      return null
    }
    return manifest
  }

  /** Stores one image under a fresh id. Returns null when the bytes are not a known image. */
  async putImage(bytes: Uint8Array, key: string): Promise<StoredImage | null> {
    const ext = sniffImage(bytes)
    if (!ext) return null
    const id = randomId()
    await this.bucket.put(imagePath(id, ext), bytes, {
      httpMetadata: { contentType: IMAGE_TYPES[ext] },
      customMetadata: { cacheKey: key },
    })
    return { id, ext, bytes: bytes.byteLength }
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

  /** Reads an image object, honouring Range and If-None-Match from `headers`. */
  getImage(id: string, ext: ImageExt, headers?: Headers) {
    return this.bucket.get(
      imagePath(id, ext),
      headers ? { range: headers, onlyIf: headers } : undefined,
    )
  }
}
