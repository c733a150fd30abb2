/**
 * Model capability registry: the one place that knows what each image model accepts.
 * The request schema, the demo generator and (later) the page and prices all read from here,
 * so adding a model (say gpt-image-2.5) is one entry in MODELS and nothing else.
 */
import { parseSize as parseSizeText, sizeProblem as sizeProblemFor } from '../public/size-rules.js'

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
  /** Release date (UTC), reported as the model's `created` time by GET /v1/models. */
  released: string
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
  'gpt-image-1': { ...CLASSIC, prices: { textInput: 5, imageOutput: 40 }, released: '2025-04-23' },
  'gpt-image-1-mini': {
    ...CLASSIC,
    prices: { textInput: 2, imageOutput: 8 },
    released: '2025-10-06',
  },
  'gpt-image-1.5': {
    ...CLASSIC,
    prices: { textInput: 5, imageOutput: 32 },
    released: '2025-12-16',
  },
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
    released: '2026-04-21',
  },
} as const satisfies Record<string, ModelCapabilities>

export type ModelId = keyof typeof MODELS
export const MODEL_IDS = Object.keys(MODELS) as [ModelId, ...ModelId[]]
export const DEFAULT_MODEL: ModelId = 'gpt-image-1'

/** Capabilities of a known model. */
export function capabilitiesOf(model: ModelId): ModelCapabilities {
  return MODELS[model]
}

/** Parses `WxH` into numbers, or null when the text is not of that form. */
export const parseSize: (size: string) => { width: number; height: number } | null = parseSizeText

/**
 * Checks a size against a model's rule. Returns null when allowed, otherwise a sentence saying
 * what is wrong, for a person to act on. The rule logic lives in public/size-rules.js, which the
 * page uses too.
 */
export function sizeProblem(model: ModelId, size: string): string | null {
  return sizeProblemFor(model, capabilitiesOf(model).sizes, size)
}

/** The most pixels one image of `model` can have (its largest size). */
export function largestPixels(model: ModelId): number {
  const rule = capabilitiesOf(model).sizes
  if (rule.kind === 'custom') return rule.maxPixels
  return Math.max(
    ...rule.sizes.map((size) => {
      const parsed = parseSize(size)
      return parsed ? parsed.width * parsed.height : 0
    }),
  )
}
