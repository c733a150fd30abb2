// The image parameters an embed URL may carry, shared by the gateway (src/embed/embed-request.ts
// imports this file), the page's snippets and embed.js, so all three always agree.
export const EMBED_FIELDS = /** @type {const} */ ([
  'prompt',
  'model',
  'size',
  'quality',
  'background',
  'output_format',
  'output_compression',
  'moderation',
])
