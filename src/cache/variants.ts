/**
 * Images at the size the page needs: a stored image resized (never up) and re-encoded by the
 * Images binding, at a width from a small fixed ladder, so variants (and their bill) stay bounded.
 */

import { z } from 'zod'
import { VARIANT_FORMATS as FORMAT_NAMES, VARIANT_WIDTHS } from '../../shared/embed-fields.js'
import { fail } from '../errors'
import type { ImageExt } from '../result/result'
import { wholeNumber } from '../schema/query-text'
import { largeChunks } from '../stream/chunk-reader'
import { ImageProbe } from '../stream/image-probe'
import { PartWriter } from './part-writer'
import { imagePath } from './store'

export { VARIANT_WIDTHS }

/** The formats a variant may have (shared with the page), with their media types. */
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
      description: `Resize to this width in pixels (never up: at or above the picture's own, its full width), one of ${VARIANT_WIDTHS.join(', ')}. Needs the Images binding.`,
    }),
  format: z
    .enum(FORMAT_NAMES, { error: `format must be one of ${FORMAT_NAMES.join(', ')}.` })
    .optional()
    .meta({
      description: `Re-encode as ${FORMAT_NAMES.join(', ')}; unset: the original's. At full width the original's own format is the original itself, as it is; anything else needs the Images binding.`,
    }),
}

/**
 * The most variants one picture can have: every ladder width in every format, and the full
 * width in every format but its own (that one is the original). Fewer for a picture narrower than
 * the ladder's top: a width at or above its own is its full width.
 */
export const MAX_VARIANTS = VARIANT_WIDTHS.length * FORMAT_NAMES.length + FORMAT_NAMES.length - 1

/**
 * The variant asked for by `width` and `format`: null for the original (no width, its format). A
 * width at or above the picture's own is its full width; at full width in its own format a variant
 * would be the original re-encoded, so the original itself is served. A variant is made once,
 * stored next to its original (`variants/{id}-w{width}.{format}`) and served like any stored
 * image; two first requests at once may both make it (the same bytes).
 */
export function variantSpec(query: VariantQuery, originalExt: ImageExt): VariantSpec | null {
  const format = query.format ?? originalExt
  if (query.width === undefined && format === originalExt) return null
  return { width: query.width ?? null, format }
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

/** How much of a picture is read for its width: headers come first (PNG IHDR, JPEG SOFn). */
const HEADER_BYTES = 64 * 1024

/**
 * The picture's width, from its header: null when there is no such object, and Infinity when
 * the first HEADER_BYTES do not say (then no variant counts as its full width).
 */
async function pictureWidth(bucket: R2Bucket, path: string): Promise<number | null> {
  const head = await bucket.get(path, { range: { offset: 0, length: HEADER_BYTES } })
  if (!head) return null
  const probe = new ImageProbe()
  probe.push(new Uint8Array(await head.arrayBuffer()))
  const found = probe.result
  return typeof found === 'object' && found ? found.width : Number.POSITIVE_INFINITY
}

/**
 * Where in R2 the variant is, made from the original first if it is not there yet: the original's
 * own path when the variant would be it. Null when there is no original.
 */
export async function variantObjectPath(
  bucket: R2Bucket,
  transforms: ImagesBinding,
  original: { id: string; ext: ImageExt },
  spec: VariantSpec,
): Promise<string | null> {
  const path = variantPath(original.id, spec)
  if (await bucket.head(path)) return path
  const sourcePath = imagePath(original.id, original.ext)
  if (spec.width) {
    const width = await pictureWidth(bucket, sourcePath)
    if (width === null) return null
    if (spec.width >= width) {
      // Scaled down, never up: this is the full width.
      if (spec.format === original.ext) return sourcePath
      return variantObjectPath(bucket, transforms, original, { width: null, format: spec.format })
    }
  }
  const source = await bucket.get(sourcePath)
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
  return path
}
