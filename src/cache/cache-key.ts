/**
 * The cache key: a SHA-256 over a canonical, versioned serialization of the normalized fields that
 * change the picture. Fields that don't (user, stream, partial_images, response_format) are left
 * out, so they never split the cache. Clients never choose a key; it is always derived.
 */
import type { NormalizedImageRequest } from '../schema/image-request'

/** Bump when the recipe changes, so old entries are simply never looked up again. */
const CACHE_KEY_VERSION = 'v1'

/** The output-affecting fields, in a fixed order. */
export function keyFields(req: NormalizedImageRequest) {
  return {
    model: req.model,
    prompt: req.prompt,
    n: req.n,
    size: req.size,
    quality: req.quality,
    background: req.background,
    output_format: req.output_format,
    // Compression only changes jpeg and webp; for png it is always the default anyway.
    output_compression: req.output_format === 'png' ? null : req.output_compression,
    moderation: req.moderation,
  }
}

export type KeyFields = ReturnType<typeof keyFields>

/** Hex SHA-256 of `v1` + the JSON array of key fields (arrays keep the order explicit). */
export async function cacheKey(req: NormalizedImageRequest): Promise<string> {
  const fields = keyFields(req)
  const canonical = JSON.stringify([CACHE_KEY_VERSION, ...Object.values(fields)])
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
