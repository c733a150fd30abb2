/**
 * Images at the size the page needs: a stored image resized (never up) and re-encoded by the
 * Cloudflare Images binding, at a width from a small fixed ladder, so the number of distinct
 * variants (and the operator's transformation bill) stays bounded. A variant is made once,
 * stored in R2 next to its original (`variants/{id}-w{width}.{format}`), and served like any
 * stored image. Two first requests at once may both make it; they write the same bytes.
 */

import type { ImageExt } from '../result/result'
import { largeChunks } from '../stream/chunk-reader'
import { PartWriter } from './part-writer'
import { imagePath } from './store'

/** The widths a variant may have, in pixels. */
export const VARIANT_WIDTHS = [256, 384, 512, 768, 1024, 1536, 2048] as const
export const VARIANT_FORMATS = {
  webp: 'image/webp',
  avif: 'image/avif',
  jpeg: 'image/jpeg',
  png: 'image/png',
} as const
export type VariantFormat = keyof typeof VARIANT_FORMATS

export interface VariantSpec {
  width: (typeof VARIANT_WIDTHS)[number] | null
  format: VariantFormat
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

/** Reads `width` and `format` from a query: a spec, null when neither is given, or a problem. */
export function parseVariant(
  query: URLSearchParams,
  originalExt: ImageExt,
): { spec: VariantSpec | null } | { param: string; message: string } {
  const width = query.get('width')
  const format = query.get('format')
  if (width === null && format === null) return { spec: null }
  const widths: readonly number[] = VARIANT_WIDTHS
  if (width !== null && !widths.includes(Number(width))) {
    return { param: 'width', message: `width must be one of ${VARIANT_WIDTHS.join(', ')}.` }
  }
  if (format !== null && !(format in VARIANT_FORMATS)) {
    return {
      param: 'format',
      message: `format must be one of ${Object.keys(VARIANT_FORMATS).join(', ')}.`,
    }
  }
  return {
    spec: {
      width: width === null ? null : (Number(width) as VariantSpec['width']),
      format: (format ?? originalExt) as VariantFormat,
    },
  }
}
