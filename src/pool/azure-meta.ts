/**
 * Azure answers in OpenAI's shapes but reports less: its `generateImagesResponse` (and events)
 * may lack `size`, `quality`, `background` and `output_format`. These are echoed from the request
 * where it fixed them, never guessed (an `auto` the upstream resolved stays unreported).
 */
import type { ResultMeta } from '../result/result'
import type { NormalizedImageRequest } from '../schema/image-request'

type Described = Pick<ResultMeta, 'size' | 'quality' | 'background' | 'output_format'>

/** The fields an answer (or event) lacks, filled from the request when it chose them. */
export function withRequestFields<T extends object>(
  reported: T,
  request: NormalizedImageRequest,
): T & Partial<Described> {
  const filled: Partial<Described> = {}
  // output_format is always fixed: `auto` was resolved to png, the upstream's own default.
  const chosen: Described = {
    output_format: request.output_format,
    size: request.size === 'auto' ? undefined : request.size,
    quality: request.quality === 'auto' ? undefined : request.quality,
    background: request.background === 'auto' ? undefined : request.background,
  }
  for (const field of ['size', 'quality', 'background', 'output_format'] as const) {
    const value = chosen[field]
    const given = (reported as Partial<Record<string, unknown>>)[field]
    if (typeof given !== 'string' && value !== undefined) filled[field] = value
  }
  return { ...reported, ...filled }
}
