/**
 * The request contract of POST /v1/images/generations as one zod schema with the model registry's
 * rules; `normalize()` resolves every default, which the cache key and the generation rely on.
 */
import { z } from 'zod'
import {
  capabilitiesOf,
  DEFAULT_MODEL,
  describeSizes,
  MODEL_IDS,
  QUALITIES,
  sizeProblem,
  TRANSPARENT_MODELS,
} from '../models'
import type { ImageKind } from '../result/events'
import type { EditInputs } from '../result/inputs'
import { MAX_IMAGES, MAX_PARTIAL_IMAGES } from '../result/limits'

export const BACKGROUNDS = ['auto', 'opaque', 'transparent'] as const
export const MODERATIONS = ['auto', 'low'] as const
export const OUTPUT_FORMATS = ['auto', 'png', 'jpeg', 'webp'] as const
/** Our extension: `url` answers with links to stored images instead of base64. */
export const RESPONSE_FORMATS = ['b64_json', 'url'] as const
export const MAX_PROMPT_LENGTH = 32_000

const COMPRESSIBLE_FORMATS = ['jpeg', 'webp']
const ALPHA_FORMATS = ['auto', 'png', 'webp']

/** Each field as a client may send it, in the contract's order (errors name the first bad one). */
export const imageFields = {
  model: z
    .enum(MODEL_IDS)
    .optional()
    .meta({ description: `The model to use. Defaults to ${DEFAULT_MODEL}.` }),
  prompt: z
    .string()
    .min(1)
    .max(MAX_PROMPT_LENGTH)
    .meta({ description: 'A text description of the desired image(s), up to 32000 characters.' }),
  n: z
    .int()
    .min(1)
    .max(MAX_IMAGES)
    .optional()
    .meta({ description: 'How many images to generate. Defaults to 1.' }),
  size: z.string().optional().meta({ description: describeSizes() }),
  quality: z.enum(QUALITIES).optional().meta({ description: 'Defaults to auto.' }),
  background: z
    .enum(BACKGROUNDS)
    .optional()
    .meta({
      description: `Defaults to auto. 'transparent' (${TRANSPARENT_MODELS.join(', ')} only) needs output_format png or webp.`,
    }),
  moderation: z
    .enum(MODERATIONS)
    .optional()
    .meta({ description: 'Content moderation level. Defaults to auto.' }),
  output_format: z.enum(OUTPUT_FORMATS).optional().meta({ description: 'Defaults to auto (png).' }),
  output_compression: z
    .int()
    .min(0)
    .max(100)
    .optional()
    .meta({ description: 'Compression level for jpeg and webp only. Defaults to 100.' }),
  stream: z.boolean().optional().meta({
    description: 'Stream server-sent events: partial images, then the completed image(s).',
  }),
  partial_images: z
    .int()
    .min(0)
    .max(MAX_PARTIAL_IMAGES)
    .optional()
    .meta({ description: 'Partial images to stream; only with stream: true.' }),
  user: z
    .string()
    .optional()
    .meta({ description: 'An identifier of your end user, passed on to the upstream.' }),
  response_format: z.enum(RESPONSE_FORMATS).optional().meta({
    description:
      "This gateway's extension: 'url' answers with URLs of stored images instead of base64. Defaults to b64_json.",
  }),
}

/** The fields the cross-field rules look at (null, like absent, is "not set"). */
type RuleFields = {
  [K in
    | 'model'
    | 'size'
    | 'background'
    | 'output_format'
    | 'output_compression'
    | 'stream'
    | 'partial_images']?: z.output<z.ZodObject<typeof imageFields>>[K] | null
}

/** The rules between fields (per-model sizes and transparency, format-bound options). */
export function checkImageRules(req: RuleFields, ctx: z.RefinementCtx): void {
  const model = req.model ?? DEFAULT_MODEL
  const problem = req.size == null ? null : sizeProblem(model, req.size)
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      path: ['size'],
      message: problem,
      params: { code: 'invalid_size' },
    })
  }
  const format = req.output_format ?? 'auto'
  if (req.background === 'transparent') {
    if (!capabilitiesOf(model).transparentBackground) {
      ctx.addIssue({
        code: 'custom',
        path: ['background'],
        message: `${model} does not support background 'transparent'. Use 'opaque' or 'auto', or a model such as ${TRANSPARENT_MODELS[0]}.`,
        params: { code: 'unsupported_value' },
      })
    } else if (!ALPHA_FORMATS.includes(format)) {
      ctx.addIssue({
        code: 'custom',
        path: ['background'],
        message: `background 'transparent' needs output_format 'png' or 'webp', not '${format}'.`,
        params: { code: 'unsupported_value' },
      })
    }
  }
  if (req.output_compression != null && !COMPRESSIBLE_FORMATS.includes(format)) {
    ctx.addIssue({
      code: 'custom',
      path: ['output_compression'],
      message: `output_compression only applies to output_format 'jpeg' or 'webp' (got '${format}'). Remove it or change output_format.`,
      params: { code: 'unsupported_parameter' },
    })
  }
  if (req.partial_images != null && req.stream !== true) {
    ctx.addIssue({
      code: 'custom',
      path: ['partial_images'],
      message:
        'partial_images is only used with stream: true. Set stream to true or remove partial_images.',
      params: { code: 'unsupported_parameter' },
    })
  }
}

/**
 * The optional fields of a request body also take an explicit `null`, meaning "not set", as the
 * OpenAI SDKs type them (`n?: number | null`; openai-python sends None through wrappers).
 */
const bodyFields = Object.fromEntries(
  Object.entries(imageFields).map(([name, field]) => [
    name,
    name === 'prompt' ? field : field.nullable().meta(field.meta() ?? {}),
  ]),
) as {
  [K in keyof typeof imageFields]: K extends 'prompt'
    ? (typeof imageFields)[K]
    : z.ZodNullable<(typeof imageFields)[K]>
}

/** The request body exactly as a client may send it. Unknown fields are refused, as OpenAI does. */
export const imageRequestSchema = z.strictObject(bodyFields).superRefine(checkImageRules)

/** A request as the client sent it, validated. Fields it left out are absent. */
export type ImageRequest = z.infer<typeof imageRequestSchema>

/** A request with every default resolved; what the gateway actually asks for. */
export interface NormalizedImageRequest {
  model: (typeof MODEL_IDS)[number]
  prompt: string
  n: number
  size: string
  quality: (typeof QUALITIES)[number]
  background: (typeof BACKGROUNDS)[number]
  moderation: (typeof MODERATIONS)[number]
  /** `auto` resolves to png, the upstream's own default. */
  output_format: Exclude<(typeof OUTPUT_FORMATS)[number], 'auto'>
  /** Only meaningful for jpeg and webp; 100 when unset, as the seed says. */
  output_compression: number
  stream: boolean
  partial_images: number
  user: string | null
  response_format: (typeof RESPONSE_FORMATS)[number]
  /** Edits only: the pictures it starts from. */
  edit?: EditInputs
}

/** Whether a request makes pictures from a prompt alone or edits given ones. */
export function kindOf(request: NormalizedImageRequest): ImageKind {
  return request.edit ? 'edit' : 'generation'
}

/** Resolves every default of the seed's table. Field order is fixed, so serializations are stable. */
export function normalize(req: ImageRequest): NormalizedImageRequest {
  const format = req.output_format ?? 'auto'
  return {
    model: req.model ?? DEFAULT_MODEL,
    prompt: req.prompt,
    n: req.n ?? 1,
    size: req.size ?? 'auto',
    quality: req.quality ?? 'auto',
    background: req.background ?? 'auto',
    moderation: req.moderation ?? 'auto',
    output_format: format === 'auto' ? 'png' : format,
    output_compression: req.output_compression ?? 100,
    stream: req.stream ?? false,
    partial_images: req.partial_images ?? 0,
    user: req.user ?? null,
    response_format: req.response_format ?? 'b64_json',
  }
}

/**
 * The fields sent upstream besides the prompt (which travels in the normalized request): `model`
 * always, others only when the client set them, and never a value only this gateway understands
 * (`output_format: "auto"`, `response_format`).
 */
export function upstreamFields(req: ImageRequest): Record<string, unknown> {
  const { model, prompt: _once, output_format, response_format: _ours, ...rest } = req
  const body: Record<string, unknown> = { model: model ?? DEFAULT_MODEL }
  // A field set to null was not set: it is left out, as one the client never sent.
  for (const [name, value] of Object.entries(rest)) if (value != null) body[name] = value
  if (output_format != null && output_format !== 'auto') body.output_format = output_format
  return body
}
