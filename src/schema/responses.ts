/**
 * The shapes the gateway answers with, as zod schemas: the OpenAPI document is generated from
 * them, and the tests check real answers against them, so the document can't drift from the
 * code.
 */
import { z } from 'zod'
import { completedEvent, type ImageKind, partialImageEvent } from '../result/events'

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

/** The data of each stream event of a kind of request (generations' or edits' event names). */
function streamEvents(kind: ImageKind) {
  return z
    .object({
      type: z.enum([partialImageEvent(kind), completedEvent(kind)]),
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
}

export const streamEventSchema = streamEvents('generation')
export const editStreamEventSchema = streamEvents('edit')

export const usageResponseSchema = z.object({
  object: z.literal('usage'),
  key: z.object({ id: z.string(), name: z.string(), kind: z.enum(['secret', 'publishable']) }),
  balance_usd: z.number().nullable(),
  spent_usd: z.number(),
  requests: z.int(),
  cache_hits: z.int(),
  saved_usd: z.number(),
})

export const signResponseSchema = z.object({
  url: z.string().meta({ description: 'The signed embed URL.' }),
  expires_at: z.int().nullable().meta({ description: 'Unix time it stops working, if ever.' }),
})

const sizeRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), sizes: z.array(z.string()).readonly() }),
  z.object({
    kind: z.literal('custom'),
    multipleOf: z.int(),
    maxEdge: z.int(),
    maxAspectRatio: z.number(),
    minPixels: z.int(),
    maxPixels: z.int(),
    presets: z.array(z.string()).readonly().meta({ description: 'Sizes the page offers.' }),
  }),
])

const range = z.object({ min: z.int(), max: z.int() })

export const modelSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.int().meta({ description: 'Release date, Unix time.' }),
  owned_by: z.string(),
  capabilities: z.object({
    sizes: sizeRuleSchema.meta({ description: 'Sizes besides `auto`.' }),
    default_size: z.string().meta({ description: 'What `auto` means for the demo generator.' }),
    largest_pixels: z.int(),
    transparent_background: z.boolean(),
    qualities: z.array(z.string()).readonly(),
    usd_per_million_tokens: z.object({
      text_input: z.number(),
      image_input: z.number(),
      image_output: z.number(),
    }),
    output_tokens_per_1024x1024: z.object({ low: z.int(), medium: z.int(), high: z.int() }),
    input_fidelities: z
      .array(z.enum(['high', 'low']))
      .readonly()
      .meta({
        description:
          "The edits' `input_fidelity` values it takes, the default first (none: always high).",
      }),
    max_input_image_tokens: z.object({ low: z.int(), high: z.int() }).meta({
      description: 'The most image input tokens one edit picture is billed, by fidelity.',
    }),
  }),
})

export const modelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(modelSchema),
  gateway: z
    .object({
      upstream: z.enum(['remote', 'demo']),
      default_model: z.string(),
      anonymous_access: z.boolean(),
      output_formats: z.array(z.string()).readonly(),
      backgrounds: z.array(z.string()).readonly(),
      moderations: z.array(z.string()).readonly(),
      n: range,
      partial_images: range,
      output_compression: range,
      prompt_max_length: z.int(),
      edit_images: range.meta({ description: 'How many pictures one edit takes.' }),
    })
    .meta({ description: 'What this deployment accepts as a whole.' }),
})

export const shownKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['secret', 'publishable']),
  origins: z.array(z.string()),
  permissions: z.object({
    models: z.array(z.string()).optional(),
    max_n: z.int().optional(),
    max_size: z.string().optional(),
    max_quality: z.enum(['low', 'medium', 'high']).optional(),
    regenerate: z.boolean().optional(),
  }),
  rate_limit_per_minute: z.int().nullable(),
  client_rate_limit_per_minute: z.int().nullable().meta({
    description:
      "A publishable key's requests per minute from each client (an IPv4 address, an IPv6 /64); null: PUBLISHABLE_CLIENT_RATE_LIMIT_PER_MINUTE (publishable keys), or none (secret keys).",
  }),
  cache_scope: z.enum(['shared', 'key']),
  webhook_url: z.string().nullable().meta({
    description: "Where the key's batches and jobs announce their end unless they name a URL.",
  }),
  created_at: z.string(),
  revoked: z.boolean(),
  balance_usd: z.number().nullable(),
  spent_usd: z.number(),
  requests: z.int(),
  anomalies: z.int().meta({
    description:
      'Generations whose reported cost exceeded what was reserved (the excess was not charged).',
  }),
  unbilled_usd: z.number().meta({ description: 'What those anomalies left uncharged.' }),
})

export const newKeyResponseSchema = shownKeySchema.extend({
  key: z.string().meta({ description: 'The secret: shown this once, never again.' }),
  webhook_secret: z.string().meta({
    description:
      "The `whsec_` secret that signs this key's webhooks (Standard Webhooks): shown this once.",
  }),
})

export const keyListSchema = z.object({ object: z.literal('list'), data: z.array(shownKeySchema) })
