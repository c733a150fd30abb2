/**
 * Model capability registry: the one place that knows what each image model accepts, costs and
 * makes. The request schema, permissions, prices, the demo generator, GET /v1/models and the page
 * (through GET /v1/models) all read from here, so adding a model is one entry in MODELS.
 */
import { parseSize as parseSizeText, sizeProblem as sizeProblemFor } from '../shared/size-rules.js'

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
      /** Sizes the page offers before "Custom…"; each must pass the rule. */
      presets: readonly string[]
    }

export const QUALITIES = ['auto', 'low', 'medium', 'high'] as const
export type Quality = (typeof QUALITIES)[number]
/** A quality the upstream actually renders at (`auto` resolves to one of these). */
export type RenderQuality = Exclude<Quality, 'auto'>

/** Image output tokens each streamed partial image adds (the seed: "an additional 100"). */
export const PARTIAL_IMAGE_TOKENS = 100

export const INPUT_FIDELITIES = ['high', 'low'] as const
/** How closely an edit follows its input pictures (more image input tokens when high). */
export type InputFidelity = (typeof INPUT_FIDELITIES)[number]

export interface ModelCapabilities {
  /** Sizes besides `auto`, which every model accepts. */
  sizes: SizeRule
  /** Whether `background: "transparent"` is supported. */
  transparentBackground: boolean
  qualities: readonly Quality[]
  /** The size `auto` resolves to when a generator has to pick one itself. */
  defaultSize: string
  /** US dollars per million tokens, from the returned usage (image input: edits' pictures). */
  prices: { textInput: number; imageInput: number; imageOutput: number }
  /** Image output tokens billed for one 1024×1024 image, by quality; other sizes scale by area. */
  outputTokens: Record<RenderQuality, number>
  /**
   * The `input_fidelity` values an edit may ask for, the default first. Empty: the model takes
   * no such field and always follows its inputs closely (billed as high).
   */
  inputFidelities: readonly InputFidelity[]
  /** The most image input tokens one input picture of an edit is billed, by fidelity. */
  inputImageTokens: Record<InputFidelity, number>
  /** Release date (UTC), reported as the model's `created` time by GET /v1/models. */
  released: string
}

const CLASSIC_SIZES: SizeRule = { kind: 'fixed', sizes: ['1024x1024', '1536x1024', '1024x1536'] }

/** OpenAI's output tokens per 1024×1024 image (the seed's table for the gpt-image models). */
const GPT_IMAGE_TOKENS = { low: 272, medium: 1056, high: 4160 } as const

/*
 * Input pictures are billed as image input tokens: a few hundred for the downscaled copy the model
 * sees (OpenAI counts 512-px tiles; a square input is one tile, about 200 tokens, an elongated
 * one up to four), and high fidelity adds about 4,160 for a square input and 6,240 otherwise
 * (OpenAI's image generation guide, read 2026-12-01). These are the bounds reserved per input.
 */
const INPUT_IMAGE_TOKENS = { low: 1_000, high: 1_000 + 6_240 } as const

const CLASSIC = {
  sizes: CLASSIC_SIZES,
  transparentBackground: true,
  qualities: QUALITIES,
  defaultSize: '1024x1024',
  outputTokens: GPT_IMAGE_TOKENS,
  inputFidelities: ['low', 'high'],
  inputImageTokens: INPUT_IMAGE_TOKENS,
} as const

/*
 * Prices in USD per million tokens (text input, image input, image output), as OpenAI lists them;
 * read 2026-11-24 (image input 2026-12-01) from OpenAI's pricing tables as quoted by the OpenAI
 * developer community forum ("image generation and output of image tokens") and model pages that
 * mirror them. Image input tokens occur in edits only. Check https://openai.com/api/pricing when
 * updating.
 */

/** Every model the gateway accepts, keyed by its public id. The first one is the default. */
export const MODELS = {
  'gpt-image-1': {
    ...CLASSIC,
    prices: { textInput: 5, imageInput: 10, imageOutput: 40 },
    released: '2025-04-23',
  },
  'gpt-image-1-mini': {
    ...CLASSIC,
    prices: { textInput: 2, imageInput: 2.5, imageOutput: 8 },
    // Low fidelity only (the openai SDK's own documentation of input_fidelity).
    inputFidelities: ['low'],
    released: '2025-10-06',
  },
  'gpt-image-1.5': {
    ...CLASSIC,
    prices: { textInput: 5, imageInput: 8, imageOutput: 32 },
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
      presets: [
        '1024x1024',
        '1536x1024',
        '1024x1536',
        '2048x2048',
        '2048x1152',
        '3840x2160',
        '2160x3840',
      ],
    },
    transparentBackground: false,
    qualities: QUALITIES,
    defaultSize: '1024x1024',
    prices: { textInput: 5, imageInput: 8, imageOutput: 30 },
    outputTokens: GPT_IMAGE_TOKENS,
    // It takes no input_fidelity: inputs are always followed (and billed) at high fidelity.
    inputFidelities: [],
    inputImageTokens: INPUT_IMAGE_TOKENS,
    released: '2026-04-21',
  },
} as const satisfies Record<string, ModelCapabilities>

export type ModelId = keyof typeof MODELS
export const MODEL_IDS = Object.keys(MODELS) as [ModelId, ...ModelId[]]
export const DEFAULT_MODEL: ModelId = MODEL_IDS[0]

/** Capabilities of a known model. */
export function capabilitiesOf(model: ModelId): ModelCapabilities {
  return MODELS[model]
}

/** Parses `WxH` into numbers, or null when the text is not of that form. */
export const parseSize: (size: string) => { width: number; height: number } | null = parseSizeText

/**
 * Checks a size against a model's rule. Returns null when allowed, otherwise a sentence saying
 * what is wrong, for a person to act on. The rule logic is shared with the page's form.
 */
export function sizeProblem(model: ModelId, size: string): string | null {
  return sizeProblemFor(model, capabilitiesOf(model).sizes, size)
}

/** Pixels of a `WxH` size (0 when it is not one). */
export function pixelsOf(size: string): number {
  const parsed = parseSize(size)
  return parsed ? parsed.width * parsed.height : 0
}

/** The most pixels one image of `model` can have (its largest size; what `auto` may pick). */
export function largestPixels(model: ModelId): number {
  const rule = capabilitiesOf(model).sizes
  if (rule.kind === 'custom') return rule.maxPixels
  return Math.max(...rule.sizes.map(pixelsOf))
}

/** Image output tokens one image of `pixels` costs at `quality` (scaled from 1024×1024). */
export function imageOutputTokens(model: ModelId, quality: RenderQuality, pixels: number): number {
  return Math.ceil((capabilitiesOf(model).outputTokens[quality] * pixels) / 1_048_576)
}

/** The fidelity an edit with `model` runs at when it asks for none (high when it can't ask). */
export function defaultInputFidelity(model: ModelId): InputFidelity {
  return capabilitiesOf(model).inputFidelities[0] ?? 'high'
}

/** Models that can make a transparent background. */
export const TRANSPARENT_MODELS = MODEL_IDS.filter((id) => capabilitiesOf(id).transparentBackground)

/** The size rules in words, models with the same rule together (for documentation). */
export function describeSizes(): string {
  const byRule = new Map<string, ModelId[]>()
  for (const id of MODEL_IDS) {
    const rule = capabilitiesOf(id).sizes
    const text =
      rule.kind === 'fixed'
        ? `one of ${rule.sizes.join(', ')}`
        : `any WxH with both sides multiples of ${rule.multipleOf}, longest edge <= ${rule.maxEdge}, aspect ratio <= ${rule.maxAspectRatio}:1, and ${count(rule.minPixels)} to ${count(rule.maxPixels)} pixels`
    byRule.set(text, [...(byRule.get(text) ?? []), id])
  }
  const parts = [...byRule].map(([text, ids]) => `for ${ids.join(', ')} ${text}`)
  return `'auto' (default), or ${parts.join('; ')}.`
}

const count = (n: number) => n.toLocaleString('en-US')
