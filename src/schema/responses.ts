/**
 * The shapes the gateway answers with, as zod schemas: the OpenAPI document is generated from
 * them, and the tests check real answers against them, so the document can't drift from the
 * code.
 */
import { z } from 'zod'

const usage = z
  .object({
    input_tokens: z.int(),
    output_tokens: z.int(),
    total_tokens: z.int(),
    input_tokens_details: z.object({ image_tokens: z.int(), text_tokens: z.int() }).optional(),
  })
  .meta({ description: 'Token usage reported by the upstream; cost is computed from it.' })

export const imagesResponseSchema = z.object({
  created: z.int().meta({ description: 'Unix time the images were made.' }),
  data: z.array(
    z.object({
      b64_json: z.string().optional().meta({ description: 'The image, base64 (the default).' }),
      url: z
        .string()
        .optional()
        .meta({ description: "The image's URL, with response_format: 'url'." }),
    }),
  ),
  background: z.string().optional(),
  output_format: z.string().optional(),
  quality: z.string().optional(),
  size: z.string().optional(),
  usage: usage.optional(),
})

export const errorEnvelopeSchema = z.object({
  error: z.object({
    message: z.string().meta({ description: 'What went wrong and what to change.' }),
    type: z.string(),
    param: z.string().nullable().meta({ description: 'The request field at fault, if any.' }),
    code: z.string().nullable(),
  }),
})

export const streamEventSchema = z
  .object({
    type: z.enum(['image_generation.partial_image', 'image_generation.completed']),
    b64_json: z.string().optional(),
    url: z.string().optional(),
    created_at: z.int().optional(),
    size: z.string().optional(),
    quality: z.string().optional(),
    background: z.string().optional(),
    output_format: z.string().optional(),
    partial_image_index: z.int().optional(),
    usage: usage.optional(),
  })
  .meta({
    description:
      "The data of each server-sent event (the event's name equals `type`). Failures arrive as `event: error` with an error envelope.",
  })

export const usageResponseSchema = z.object({
  object: z.literal('usage'),
  key: z.object({ id: z.string(), name: z.string(), kind: z.enum(['secret', 'publishable']) }),
  balance_usd: z.number().nullable(),
  spent_usd: z.number(),
  requests: z.int(),
  cache_hits: z.int(),
  saved_usd: z.number(),
})
