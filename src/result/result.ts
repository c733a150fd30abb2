/**
 * What a generation produces, in the words every layer shares: a stored image, the metadata the
 * upstream reported, and how an image's type is recognised. The cache, the generation's owner and
 * the answer writers all speak this vocabulary; it imports nothing of theirs.
 */

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

/** What a request asked for, for completed events rebuilt before the upstream said more. */
export function requestedMeta(request: Omit<ResultMeta, 'created' | 'usage'>): ResultMeta {
  const { size, quality, background, output_format } = request
  return { created: Math.floor(Date.now() / 1000), size, quality, background, output_format }
}

/** Recognises an image by its signature bytes, so the stored content type is never a guess. */
export function sniffImage(bytes: Uint8Array): ImageExt | null {
  const at = (i: number) => bytes[i]
  if (at(0) === 0x89 && at(1) === 0x50 && at(2) === 0x4e && at(3) === 0x47) return 'png'
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg'
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to))
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp'
  return null
}

/** The metadata fields of an Images API answer or completed event. */
export function pickMeta(from: Record<string, unknown>): Partial<ResultMeta> {
  const meta: Partial<ResultMeta> = {}
  const created = from.created ?? from.created_at
  if (typeof created === 'number') meta.created = created
  for (const field of ['size', 'quality', 'background', 'output_format'] as const) {
    if (typeof from[field] === 'string') meta[field] = from[field]
  }
  if (from.usage && typeof from.usage === 'object' && !Array.isArray(from.usage)) {
    meta.usage = from.usage as Record<string, unknown>
  }
  return meta
}

/** The URL a stored image is served at. */
export function imageUrl(origin: string, image: StoredImage): string {
  return `${origin}/v1/images/${image.id}.${image.ext}`
}
