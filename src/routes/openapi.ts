/**
 * GET /openapi.json: an OpenAPI 3.1 document generated from the same zod schemas the gateway
 * validates with and answers in (zod's own JSON Schema output; no second copy of the contract).
 * The readable page is public/docs.html, served at /docs.
 */
import { Hono } from 'hono'
import { type ZodType, z } from 'zod'
import { EMBED_FIELDS } from '../embed/embed-request'
import type { AppEnv } from '../env'
import { imageRequestSchema } from '../schema/image-request'
import {
  errorEnvelopeSchema,
  imagesResponseSchema,
  streamEventSchema,
  usageResponseSchema,
} from '../schema/responses'

export const openapi = new Hono<AppEnv>()

function schema(type: ZodType) {
  const { $schema: _, ...rest } = z.toJSONSchema(type, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>
  return rest
}

const json = (type: ZodType) => ({ 'application/json': { schema: schema(type) } })
const error = (description: string) => ({ description, content: json(errorEnvelopeSchema) })
const query = (name: string, description: string, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema: { type: 'string' },
})

/** Builds the document (once per isolate: it only depends on the code). */
function buildDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'GPT image gateway',
      version: '1.0.0',
      description:
        'An OpenAI-compatible image generation endpoint at the edge, with caching, coalescing, image URLs and embeds.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/images/generations': {
        post: {
          summary: 'Generate images',
          description:
            'OpenAI-compatible. Per-model rules (sizes, transparency) are described on the fields; violations are 400s naming the field.',
          parameters: [
            {
              name: 'Cache-Control',
              in: 'header',
              description: '`no-cache` generates afresh and replaces the cached result.',
              schema: { type: 'string' },
            },
          ],
          requestBody: { required: true, content: json(imageRequestSchema) },
          responses: {
            200: {
              description:
                'The images: JSON, or server-sent events with `stream: true`. Header `x-cache` is HIT, MISS or BYPASS.',
              content: {
                ...json(imagesResponseSchema),
                'text/event-stream': { schema: schema(streamEventSchema) },
              },
            },
            400: error(
              'Invalid parameter, malformed JSON, or a content-policy block (`content_policy_violation`).',
            ),
            401: error('Client key missing or invalid.'),
            403: error('The key may not do this, or its balance is insufficient.'),
            413: error('Body over 256 KiB.'),
            415: error('Body is not JSON.'),
            429: error('Rate limited; see Retry-After.'),
            500: error(
              'Upstream failure or internal error; `x-should-retry` tells whether retrying helps.',
            ),
          },
        },
      },
      '/v1/images/{file}': {
        get: {
          summary: 'A stored image',
          security: [],
          parameters: [
            {
              name: 'file',
              in: 'path',
              required: true,
              description: '`{id}.{png|jpeg|webp}`',
              schema: { type: 'string' },
            },
          ],
          responses: {
            200: {
              description: 'The image; immutable, with ETag and Range support.',
              content: { 'image/*': { schema: { type: 'string', format: 'binary' } } },
            },
            206: { description: 'The requested byte range.' },
            304: { description: 'Not modified (If-None-Match).' },
            404: error('No such image.'),
          },
        },
      },
      '/v1/images/embed': {
        get: {
          summary: 'An image for a web page',
          description:
            'Redirects to the stored image, generating it on the first visit. Needs `sig` (from `npm run sign`) or a publishable `key`, except on the demo generator.',
          security: [],
          parameters: [
            ...EMBED_FIELDS.map((name) =>
              query(name, `As in the generation request.`, name === 'prompt'),
            ),
            query('sig', 'HMAC-SHA256 signature of the other parameters.'),
            query('exp', 'Unix time after which the URL stops working (signed).'),
            query('key', 'A publishable key bound to the page’s origin.'),
            query(
              'stream',
              '`1` answers server-sent events (partial images, then the image URL) instead of a redirect.',
            ),
          ],
          responses: {
            302: { description: 'To the stored image.' },
            400: error('Invalid parameter.'),
            401: error('Unsigned.'),
            403: error('Bad or expired signature, or a foreign origin.'),
          },
        },
      },
      '/v1/images/embed/sign': {
        post: {
          summary: 'Sign an embed URL',
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { prompt: { type: 'string' }, expires_in: { type: 'integer' } },
                  required: ['prompt'],
                },
              },
            },
          },
          responses: {
            200: { description: '`{url, expires_at}`' },
            403: error('Signing not configured.'),
          },
        },
      },
      '/v1/models': {
        get: {
          summary: 'Models and their capabilities',
          security: [],
          responses: { 200: { description: 'OpenAI list shape, each model with `capabilities`.' } },
        },
      },
      '/v1/usage': {
        get: {
          summary: 'The calling key’s spend, balance and savings',
          responses: {
            200: { description: 'Usage', content: json(usageResponseSchema) },
            403: error('Not a managed key.'),
          },
        },
      },
      '/v1/admin/keys': {
        get: {
          summary: 'List managed keys (ADMIN_TOKEN)',
          responses: { 200: { description: 'Keys, without secrets.' } },
        },
        post: {
          summary: 'Create a managed key (ADMIN_TOKEN); the secret is shown once',
          responses: { 201: { description: 'The key' } },
        },
      },
    },
  }
}

let document: ReturnType<typeof buildDocument> | null = null

openapi.get('/openapi.json', (c) => {
  document ??= buildDocument()
  return c.json(document)
})
