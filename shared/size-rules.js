// Size rules, shared word for word by the gateway's validator and the page's form, so the two can
// never disagree. Plain JS: the page has no build; the worker serves it at /size-rules.js.

const SIZE_PATTERN = /^([1-9]\d{0,5})x([1-9]\d{0,5})$/

/**
 * Parses `WxH` into numbers, or null when the text is not of that form.
 * @param {string} size
 * @returns {{ width: number, height: number } | null}
 */
export function parseSize(size) {
  const match = SIZE_PATTERN.exec(size)
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null
}

const count = (n) => n.toLocaleString('en-US')

/**
 * Checks a size against a model's size rule. Null when allowed, otherwise a sentence saying what
 * is wrong, for a person to act on.
 * @param {string} model
 * @param {{ kind: 'fixed', sizes: readonly string[] } | { kind: 'custom', multipleOf: number, maxEdge: number, maxAspectRatio: number, minPixels: number, maxPixels: number }} rule
 * @param {string} size
 * @returns {string | null}
 */
export function sizeProblem(model, rule, size) {
  if (size === 'auto') return null
  if (rule.kind === 'fixed') {
    if (rule.sizes.includes(size)) return null
    const choices = ['auto', ...rule.sizes].map((s) => `'${s}'`).join(', ')
    return `Invalid size '${size}' for ${model}. Supported values are: ${choices}.`
  }
  const parsed = parseSize(size)
  if (!parsed) {
    return `Invalid size '${size}' for ${model}: expected 'auto' or WIDTHxHEIGHT, for example '1536x1024'.`
  }
  const { width, height } = parsed
  const prefix = `Invalid size '${size}' for ${model}:`
  if (width % rule.multipleOf !== 0 || height % rule.multipleOf !== 0) {
    return `${prefix} both sides must be multiples of ${rule.multipleOf} pixels.`
  }
  if (Math.max(width, height) > rule.maxEdge) {
    return `${prefix} the longest edge may be at most ${rule.maxEdge} pixels.`
  }
  if (Math.max(width, height) / Math.min(width, height) > rule.maxAspectRatio) {
    return `${prefix} the aspect ratio may be at most ${rule.maxAspectRatio}:1 either way.`
  }
  const pixels = width * height
  if (pixels < rule.minPixels || pixels > rule.maxPixels) {
    return `${prefix} the total pixel count (${count(pixels)}) must be between ${count(rule.minPixels)} and ${count(rule.maxPixels)}.`
  }
  return null
}
