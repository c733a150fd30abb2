/**
 * How large an upstream answer may be before it counts as malformed, derived from the largest
 * documented output, so the gateway stops reading one no real generation can give.
 */
import { largestPixels, MODEL_IDS } from '../models'

/** Largest `n` and `partial_images` the request contract allows. */
export const MAX_IMAGES = 10
export const MAX_PARTIAL_IMAGES = 3

/** Pixels of the largest image any model makes. */
const LARGEST_PIXELS = Math.max(...MODEL_IDS.map(largestPixels))

/**
 * One image's bytes: 4 bytes a pixel (8-bit RGBA, what an incompressible PNG stores, plus its
 * filter bytes and zlib framing, well under 1 %), with a margin of 1.5× for formats and encoders
 * we have not seen. 8.3 Mpx → 47.5 MiB, where gpt-image-2's real 3840x2160 PNGs are 10–15 MB.
 */
export const MAX_IMAGE_BYTES = Math.ceil(LARGEST_PIXELS * 4 * 1.5)

/** The base64 text of the largest image. */
export const MAX_IMAGE_BASE64 = Math.ceil(MAX_IMAGE_BYTES / 3) * 4

/** One SSE event: an image's base64 plus its JSON fields. */
export const MAX_EVENT_BYTES = MAX_IMAGE_BASE64 + 64 * 1024

/** A whole upstream body: every image of the largest request with every partial image. */
export const MAX_UPSTREAM_ANSWER_BYTES = MAX_EVENT_BYTES * MAX_IMAGES * (1 + MAX_PARTIAL_IMAGES)

/** The JSON around the images (ids, sizes, usage): metadata only. */
export const MAX_SKELETON_BYTES = 1024 * 1024
