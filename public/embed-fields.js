// The parameters an embed URL may carry, shared by the gateway (src/embed/embed-request.ts
// imports this file), the page's snippets and embed.js, so all three always agree.

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
