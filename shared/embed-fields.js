// The parameters an embed URL may carry, shared by the gateway, the page's snippets and embed.js,
// so all three always agree. The worker serves it at /embed-fields.js, to any origin.

/** What the picture is: the image parameters. */
export const PICTURE_FIELDS = /** @type {const} */ ([
  'prompt',
  'model',
  'size',
  'quality',
  'background',
  'output_format',
  'output_compression',
  'moderation',
])

/**
 * Every field of an embed URL: the picture, and the partial images its generation streams. All
 * are signed, so one URL always calls the upstream the same way; `stream=1` (not a field, not
 * signed) only chooses whether a visitor watches those partial images or gets a redirect.
 */
export const EMBED_FIELDS = /** @type {const} */ ([...PICTURE_FIELDS, 'partial_images'])

/**
 * How a visitor sees the picture, not what it is: a width from this fixed ladder (so the number of
 * variants, and the operator's transformation bill, stays bounded) and a format. Not signed (they
 * spend nothing upstream); they need the gateway's Images binding.
 */
export const VARIANT_FIELDS = /** @type {const} */ (['width', 'format'])
export const VARIANT_WIDTHS = /** @type {const} */ ([256, 384, 512, 768, 1024, 1536, 2048])
export const VARIANT_FORMATS = /** @type {const} */ (['webp', 'avif', 'jpeg', 'png'])
