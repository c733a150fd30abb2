/**
 * GET /v1/models: the models this gateway offers in OpenAI's list shape, each with its capabilities,
 * plus what the whole gateway accepts. The page builds its form from this. Public: it spends nothing.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { anonymousAccess } from '../access/auth'
import { DEMO_FORMATS } from '../demo/encode'
import { fail } from '../errors'
import { capabilitiesOf, DEFAULT_MODEL, largestPixels, MODEL_IDS, type ModelId } from '../models'
import { MAX_IMAGES, MAX_PARTIAL_IMAGES } from '../result/limits'
import { MAX_INPUT_IMAGES } from '../schema/edit-request'
import {
  BACKGROUNDS,
  MAX_PROMPT_LENGTH,
  MODERATIONS,
  OUTPUT_FORMATS,
} from '../schema/image-request'
import { modelListSchema, modelSchema } from '../schema/responses'
import type { Settings } from '../settings'
import { errorResponses, NO_KEY, openApiRouter } from './openapi'

export const models = openApiRouter()

function describe(id: ModelId) {
  const caps = capabilitiesOf(id)
  return {
    id,
    object: 'model' as const,
    created: Math.floor(Date.parse(`${caps.released}T00:00:00Z`) / 1000),
    owned_by: 'openai',
    capabilities: {
      sizes: caps.sizes,
      default_size: caps.defaultSize,
      largest_pixels: largestPixels(id),
      transparent_background: caps.transparentBackground,
      qualities: caps.qualities,
      usd_per_million_tokens: {
        text_input: caps.prices.textInput,
        image_input: caps.prices.imageInput,
        image_output: caps.prices.imageOutput,
      },
      output_tokens_per_1024x1024: caps.outputTokens,
      input_fidelities: caps.inputFidelities,
      max_input_image_tokens: caps.inputImageTokens,
    },
  }
}

function offered(settings: Settings): ModelId[] {
  const allowed = settings.allowedModels
  return MODEL_IDS.filter((id) => !allowed || allowed.includes(id))
}

const list = createRoute({
  method: 'get',
  path: '/models',
  summary: 'Models and their capabilities',
  description:
    'OpenAI’s list shape (`client.models.list()` works), each model with `capabilities`.',
  security: NO_KEY,
  responses: {
    200: {
      description: 'The models',
      content: { 'application/json': { schema: modelListSchema } },
    },
    ...errorResponses({ 500: 'A misconfigured gateway (`gateway_misconfigured`).' }),
  },
})

models.openapi(list, (c) => {
  const settings = c.var.settings
  const demo = settings.demo
  return c.json(
    {
      object: 'list' as const,
      data: offered(settings).map(describe),
      gateway: {
        upstream: settings.upstream.kind,
        default_model: DEFAULT_MODEL,
        anonymous_access: anonymousAccess(settings),
        output_formats: demo ? ['auto', ...DEMO_FORMATS] : OUTPUT_FORMATS,
        backgrounds: BACKGROUNDS,
        moderations: MODERATIONS,
        n: { min: 1, max: MAX_IMAGES },
        partial_images: { min: 0, max: MAX_PARTIAL_IMAGES },
        output_compression: { min: 0, max: 100 },
        prompt_max_length: MAX_PROMPT_LENGTH,
        edit_images: { min: 1, max: MAX_INPUT_IMAGES },
      },
    },
    200,
  )
})

const one = createRoute({
  method: 'get',
  path: '/models/{id}',
  summary: 'One model and its capabilities',
  security: NO_KEY,
  request: { params: z.object({ id: z.string().meta({ example: DEFAULT_MODEL }) }) },
  responses: {
    200: { description: 'The model', content: { 'application/json': { schema: modelSchema } } },
    ...errorResponses({ 404: 'This gateway does not offer that model.' }),
  },
})

models.openapi(one, (c) => {
  const { id: wanted } = c.req.valid('param')
  const id = offered(c.var.settings).find((model) => model === wanted)
  if (!id) fail({ kind: 'not_found', message: `The model '${wanted}' does not exist here.` })
  return c.json(describe(id), 200)
})
