/**
 * Model capability registry: the one place that knows what each image model accepts.
 * The request schema, the demo generator and (later) the page and prices all read from here,
 * so adding a model (say gpt-image-2.5) is one entry in MODELS and nothing else.
 */

/** A size rule: either a fixed list of `WxH` sizes, or a family of custom sizes. */
export type SizeRule =
  | { kind: 'fixed'; sizes: readonly string[] }
  | {
      kind: 'custom'
      /** Both sides must be multiples of this many pixels. */
      multipleOf: number
      /** The longest edge may not exceed this. */
      maxEdge: number
      /** Longest side divided by shortest side may not exceed this. */
      maxAspectRatio: number
      minPixels: number
      maxPixels: number
    }

export const QUALITIES = ['auto', 'low', 'medium', 'high'] as const
export type Quality = (typeof QUALITIES)[number]

export interface ModelCapabilities {
  /** Sizes besides `auto`, which every model accepts. */
  sizes: SizeRule
  /** Whether `background: "transparent"` is supported. */
  transparentBackground: boolean
  qualities: readonly Quality[]
  /** The size `auto` resolves to when a generator has to pick one itself. */
  defaultSize: string
  /** US dollars per million tokens, from the returned usage. */
  prices: { textInput: number; imageOutput: number }
}

const CLASSIC_SIZES: SizeRule = { kind: 'fixed', sizes: ['1024x1024', '1536x1024', '1024x1536'] }

const CLASSIC = {
  sizes: CLASSIC_SIZES,
  transparentBackground: true,
  qualities: QUALITIES,
  defaultSize: '1024x1024',
} as const

/*
 * Prices in USD per million tokens (text input, image output), as OpenAI lists them; read
 * 2026-11-24 from OpenAI's pricing tables as quoted by the OpenAI developer community forum
 * ("image generation and output of image tokens") and model pages that mirror them. Image-input
 * tokens (edits) don't occur in generations. Check https://openai.com/api/pricing when updating.
 */

/** Every model the gateway accepts, keyed by its public id. The first one is the default. */
export const MODELS = {
  'gpt-image-1': { ...CLASSIC, prices: { textInput: 5, imageOutput: 40 } },
  'gpt-image-1-mini': { ...CLASSIC, prices: { textInput: 2, imageOutput: 8 } },
  'gpt-image-1.5': { ...CLASSIC, prices: { textInput: 5, imageOutput: 32 } },
  'gpt-image-2': {
    sizes: {
      kind: 'custom',
      multipleOf: 16,
      maxEdge: 3840,
      maxAspectRatio: 3,
      minPixels: 655_360,
      maxPixels: 8_294_400,
    },
    transparentBackground: false,
    qualities: QUALITIES,
    defaultSize: '1024x1024',
    prices: { textInput: 5, imageOutput: 30 },
  },
} as const satisfies Record<string, ModelCapabilities>

export type ModelId = keyof typeof MODELS
export const MODEL_IDS = Object.keys(MODELS) as [ModelId, ...ModelId[]]
export const DEFAULT_MODEL: ModelId = 'gpt-image-1'

/** Capabilities of a known model. */
export function capabilitiesOf(model: ModelId): ModelCapabilities {
  return MODELS[model]
}

const SIZE_PATTERN = /^([1-9]\d{0,5})x([1-9]\d{0,5})$/

/** Parses `WxH` into numbers, or null when the text is not of that form. */
export function parseSize(size: string): { width: number; height: number } | null {
  const match = SIZE_PATTERN.exec(size)
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null
}

/**
 * Checks a size against a model's rule. Returns null when allowed, otherwise a sentence saying
 * what is wrong, for a person to act on.
 */
export function sizeProblem(model: ModelId, size: string): string | null {
  if (size === 'auto') return null
  const rule = capabilitiesOf(model).sizes
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
    return `${prefix} the total pixel count (${pixels.toLocaleString('en-US')}) must be between ${rule.minPixels.toLocaleString('en-US')} and ${rule.maxPixels.toLocaleString('en-US')}.`
  }
  return null
}
