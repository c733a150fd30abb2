/**
 * The contract of POST /v1/images/edits besides its pictures: the fields of generations plus
 * per-model `input_fidelity`, as multipart text or the JSON form (pictures by URL).
 */
import { z } from 'zod'
import {
  capabilitiesOf,
  DEFAULT_MODEL,
  defaultInputFidelity,
  INPUT_FIDELITIES,
  MODEL_IDS,
} from '../models'
import type { InputImage } from '../result/inputs'
import {
  checkImageRules,
  type ImageRequest,
  imageFields,
  type NormalizedImageRequest,
  normalize,
} from './image-request'

/** The contract's limits on input pictures (OpenAI's, for the GPT image models). */
export const MAX_INPUT_IMAGES = 16
export const MAX_INPUT_IMAGE_BYTES = 50 * 1024 * 1024
export const MAX_MASK_BYTES = 4 * 1024 * 1024

const fidelityModels = (value: string) =>
  MODEL_IDS.filter((id) => capabilitiesOf(id).inputFidelities.includes(value as 'low'))

export const editFields = {
  ...imageFields,
  input_fidelity: z
    .enum(INPUT_FIDELITIES)
    .optional()
    .meta({
      description: `How closely to follow the input pictures (more image input tokens when high). 'high' on ${fidelityModels('high').join(', ')}; 'low' on ${fidelityModels('low').join(', ')}; other models take none. Defaults to low.`,
    }),
}

type EditFieldValues = z.output<z.ZodObject<typeof editFields>>

/** The rules between fields: those of generations, and which models take which input_fidelity. */
function checkEditRules(
  req: { [K in keyof EditFieldValues]?: EditFieldValues[K] | null },
  ctx: z.RefinementCtx,
): void {
  checkImageRules(req, ctx)
  const model = req.model ?? DEFAULT_MODEL
  const allowed = capabilitiesOf(model).inputFidelities
  if (req.input_fidelity != null && !allowed.includes(req.input_fidelity)) {
    ctx.addIssue({
      code: 'custom',
      path: ['input_fidelity'],
      message:
        allowed.length === 0
          ? `${model} takes no input_fidelity (it always follows its inputs closely). Remove it.`
          : `${model} supports input_fidelity ${allowed.map((f) => `'${f}'`).join(' or ')} only.`,
      params: { code: 'unsupported_value' },
    })
  }
}

/** Multipart text is all strings: numbers and booleans are read from their text. */
const fromText = (kind: 'number' | 'boolean') => (value: unknown) => {
  if (typeof value !== 'string') return value
  if (kind === 'boolean') return value === 'true' ? true : value === 'false' ? false : value
  return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value
}

/** The text fields of a multipart edit, as the parts carried them. Unknown fields are refused. */
export const editFormSchema = z
  .strictObject({
    ...editFields,
    n: z.preprocess(fromText('number'), editFields.n),
    output_compression: z.preprocess(fromText('number'), editFields.output_compression),
    partial_images: z.preprocess(fromText('number'), editFields.partial_images),
    stream: z.preprocess(fromText('boolean'), editFields.stream),
  })
  .superRefine(checkEditRules)

const nullable = <T extends z.ZodType>(field: T) => field.nullable().meta(field.meta() ?? {})

/** A picture of the JSON form: by URL; a Files API reference is refused (there is none here). */
export const imageReferenceSchema = z
  .strictObject({
    image_url: z.string().optional().meta({
      description:
        'A data: URL (base64), or an https URL on a public host name (or one the operator lists), fetched with size and time limits; URLs need a secret key unless the operator lists hosts.',
    }),
    file_id: z
      .string()
      .optional()
      .meta({ description: 'Not supported: this gateway has no Files API.' }),
  })
  .superRefine((ref, ctx) => {
    if (ref.file_id !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['file_id'],
        message:
          'file_id references are not supported: this gateway has no Files API. Give the picture as image_url (an https or data: URL), or upload it as multipart/form-data.',
        params: { code: 'unsupported_parameter' },
      })
    } else if (ref.image_url === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['image_url'],
        message: 'Missing required parameter: image_url.',
        params: { code: 'missing_required_parameter' },
      })
    }
  })

/** The fields of the JSON form besides the pictures: optional ones also take null ("not set"). */
const jsonFields = Object.fromEntries(
  Object.entries(editFields).map(([name, field]) => [
    name,
    name === 'prompt' ? field : nullable(field),
  ]),
) as {
  [K in keyof typeof editFields]: K extends 'prompt'
    ? (typeof editFields)[K]
    : z.ZodNullable<(typeof editFields)[K]>
}

/** The JSON form of an edit. */
export const editJsonSchema = z
  .strictObject({
    images: z
      .array(imageReferenceSchema)
      .min(1)
      .max(MAX_INPUT_IMAGES)
      .meta({
        description: `The pictures to edit, 1 to ${MAX_INPUT_IMAGES} (png, webp or jpg, each under 50 MB).`,
      }),
    mask: imageReferenceSchema.nullable().optional().meta({
      description:
        'A png with alpha, under 4 MB, the size of the first picture: its transparent pixels mark where to edit.',
    }),
    ...jsonFields,
  })
  .superRefine(checkEditRules)

/** An edit's fields as the client sent them (either form), validated; pictures aside. */
export type EditFields = ImageRequest & {
  input_fidelity?: (typeof INPUT_FIDELITIES)[number] | null
}

/** The validated pictures, in order. */
export interface EditPictures {
  images: InputImage[]
  mask: InputImage | null
}

/** An edit with every default resolved, its pictures by digest. */
export function normalizeEdit(fields: EditFields, pictures: EditPictures): NormalizedImageRequest {
  const { input_fidelity, ...rest } = fields
  const request = normalize(rest)
  return {
    ...request,
    edit: {
      images: pictures.images,
      mask: pictures.mask,
      input_fidelity: input_fidelity ?? defaultInputFidelity(request.model),
    },
  }
}

/**
 * The text fields sent upstream besides the prompt (which travels in the normalized request):
 * `model` always, others only when the client set them, never one only this gateway understands
 * (`output_format: "auto"`, `response_format`).
 */
export function editUpstreamFields(fields: EditFields): [string, string][] {
  const { model, prompt: _once, output_format, response_format: _ours, ...rest } = fields
  const out: [string, string][] = [['model', model ?? DEFAULT_MODEL]]
  for (const [name, value] of Object.entries(rest))
    if (value != null) out.push([name, String(value)])
  if (output_format != null && output_format !== 'auto') out.push(['output_format', output_format])
  return out
}
