/**
 * Images at the size the page needs: a stored image resized (never up) and re-encoded by the
 * Cloudflare Images binding, at a width from a small fixed ladder, so the number of distinct
 * variants (and the operator's transformation bill) stays bounded. A variant is made once,
 * stored in R2 next to its original (`variants/{id}-w{width}.{format}`), and served like any
 * stored image. Two first requests at once may both make it; they write the same bytes.
 */

import { z } from 'zod'
import { VARIANT_FORMATS as FORMAT_NAMES, VARIANT_WIDTHS } from '../../public/embed-fields.js'
import { fail } from '../errors'
import type { ImageExt } from '../result/result'
import { wholeNumber } from '../schema/query-text'
import { largeChunks } from '../stream/chunk-reader'
import { PartWriter } from './part-writer'
import { imagePath } from './store'

export { VARIANT_WIDTHS }

/** The formats a variant may have (public/embed-fields.js), with their media types. */
export const VARIANT_FORMATS = {
  webp: 'image/webp',
  avif: 'image/avif',
  jpeg: 'image/jpeg',
  png: 'image/png',
} as const satisfies Record<VariantFormat, string>
export type VariantFormat = (typeof FORMAT_NAMES)[number]
type VariantWidth = (typeof VARIANT_WIDTHS)[number]

export interface VariantSpec {
  width: VariantWidth | null
  format: VariantFormat
}

/** A query's `width` and `format`, as read by variantFields. */
export interface VariantQuery {
  width?: VariantWidth | undefined
  format?: VariantFormat | undefined
}

/** `width` and `format` in a query, as the image and embed routes take them (text in a URL). */
export const variantFields = {
  width: wholeNumber(
    z.literal(VARIANT_WIDTHS, { error: `width must be one of ${VARIANT_WIDTHS.join(', ')}.` }),
  )
    .optional()
    .meta({
      description: `Resize to this width in pixels (never up), one of ${VARIANT_WIDTHS.join(', ')}. Needs the Images binding.`,
    }),
  format: z
    .enum(FORMAT_NAMES, { error: `format must be one of ${FORMAT_NAMES.join(', ')}.` })
    .optional()
    .meta({
      description: `Re-encode as ${FORMAT_NAMES.join(', ')}; unset: the original's. Needs the Images binding.`,
    }),
}

/** The variant asked for by `width` and `format`: null when neither is given. */
export function variantSpec(query: VariantQuery, originalExt: ImageExt): VariantSpec | null {
  if (query.width === undefined && query.format === undefined) return null
  return { width: query.width ?? null, format: query.format ?? originalExt }
}

/** The `?width=&format=` that asks for this variant (empty for the original). */
export function variantQuery(query: VariantQuery): string {
  const params = new URLSearchParams()
  if (query.width !== undefined) params.set('width', String(query.width))
  if (query.format !== undefined) params.set('format', query.format)
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** The Images binding, or a clear 400 naming the parameter that needs it: never ignored. */
export function requireTransforms(
  transforms: ImagesBinding | undefined,
  param: 'width' | 'format',
): ImagesBinding {
  if (transforms) return transforms
  return fail({
    kind: 'invalid_request',
    param,
    message:
      'This gateway serves images only as they were made: it has no Images binding (IMAGE_TRANSFORMS) for other widths and formats. Remove width and format.',
    code: 'variants_not_configured',
  })
}

export const variantPath = (id: string, spec: VariantSpec) =>
  `variants/${id}-w${spec.width ?? 'full'}.${spec.format}`

/** The variant's object in R2, made from the original first if it is not there yet. */
export async function variantObject(
  bucket: R2Bucket,
  transforms: ImagesBinding,
  original: { id: string; ext: ImageExt },
  spec: VariantSpec,
): Promise<R2ObjectBody | null> {
  const path = variantPath(original.id, spec)
  const made = await bucket.get(path)
  if (made) return made
  const source = await bucket.get(imagePath(original.id, original.ext))
  if (!source) return null
  let transformer = transforms.input(source.body)
  if (spec.width) transformer = transformer.transform({ width: spec.width, fit: 'scale-down' })
  const result = await transformer.output({ format: VARIANT_FORMATS[spec.format] })
  const body = result.image()
  // Its length is known only at the end: written in bounded parts, like any image.
  const writer = new PartWriter(bucket, path, {
    httpMetadata: { contentType: VARIANT_FORMATS[spec.format] },
    customMetadata: { original: `${original.id}.${original.ext}` },
  })
  for await (const chunk of largeChunks(body)) {
    const wait = writer.write(chunk)
    if (wait) await wait
  }
  await writer.finish()
  return bucket.get(path)
}
