/**
 * The cache key: a versioned SHA-256 of what changes the picture, and of who made it and for
 * whom. Clients never choose a key; it is always derived.
 */
import type { NormalizedImageRequest } from '../schema/image-request'
import { sha256Hex } from '../stream/bytes'

/** Bump when the recipe changes, so old entries are simply never looked up again. */
const CACHE_KEY_VERSION = 'v2'

/**
 * The upstream a pool's results are keyed by: one name for all its real upstreams (their results
 * are interchangeable, so the key names no entry), and the one a legacy upstream with OpenAI's
 * default base URL has always had, so moving from it to UPSTREAMS keeps every stored result.
 */
export const POOL_CACHE_UPSTREAM = 'https://api.openai.com/v1'

/** What besides the request a result depends on. */
export interface CacheContext {
  /** `demo`, the legacy upstream's base URL, or POOL_CACHE_UPSTREAM for a pool. */
  upstream: string
  /** A managed key's id when that key keeps its own cache; null for the shared cache. */
  scope: string | null
}

/**
 * The output-affecting fields, in a fixed order. Fields that don't change the picture (user,
 * stream, partial_images, response_format) are left out, so they never split the cache. An edit
 * adds its input fidelity and the SHA-256 of every input picture and of the mask, in order, after
 * the same fields (so generations' keys are what they always were).
 */
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
    ...(req.edit ? { edit: editFields(req.edit) } : {}),
  }
}

/** What of an edit's inputs changes the picture: the fidelity, and each picture by its digest. */
function editFields(edit: NonNullable<NormalizedImageRequest['edit']>) {
  return {
    input_fidelity: edit.input_fidelity,
    images: edit.images.map((image) => image.sha256),
    mask: edit.mask?.sha256 ?? null,
  }
}

export type KeyFields = ReturnType<typeof keyFields>

/**
 * Hex SHA-256 of the JSON array `[version, upstream, scope, ...key fields]` (arrays keep the
 * order explicit). The upstream is the demo generator or the operator's base URL, so a demo
 * picture never answers a paid request; the scope is a key that keeps its own cache.
 */
export async function cacheKey(
  req: NormalizedImageRequest,
  context: CacheContext,
): Promise<string> {
  const fields = keyFields(req)
  const canonical = JSON.stringify([
    CACHE_KEY_VERSION,
    context.upstream,
    context.scope,
    ...Object.values(fields),
  ])
  return sha256Hex(canonical)
}
