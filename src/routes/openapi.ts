/**
 * Routes that document themselves: each is a `createRoute` validated by its own zod schemas (the
 * one OpenAI-style 400 as hook), and GET /openapi.json is generated from them; /docs renders it.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { errorEnvelopeSchema } from '../schema/responses'
import { rejectInvalid } from '../schema/validation-hook'

/** A router whose routes describe themselves; a failed validation is the OpenAI-style 400. */
export function openApiRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: rejectInvalid })
}

/** Security of routes that take a client key (the document's default). */
export const CLIENT_KEY = [{ bearer: [] }]
/** Security of routes anyone may call. */
export const NO_KEY = []
/** Security of the admin API: the operator's ADMIN_TOKEN, never a client key. */
export const ADMIN_TOKEN = [{ adminToken: [] }]

type ErrorStatus = 400 | 401 | 403 | 404 | 408 | 413 | 415 | 416 | 429 | 500

/** Documented error answers, the OpenAI envelope, each with what it means on that route. */
export function errorResponses<const M extends Partial<Record<ErrorStatus, string>>>(meanings: M) {
  return Object.fromEntries(
    Object.entries(meanings).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: errorEnvelopeSchema } } },
    ]),
  ) as {
    [S in keyof M]: {
      description: string
      content: { 'application/json': { schema: typeof errorEnvelopeSchema } }
    }
  }
}

/** The errors every route with a client key can answer. */
export const KEY_ERRORS = {
  401: 'Client key missing or invalid.',
  403: 'The key may not do this.',
  429: 'Rate limited; see Retry-After.',
  500: 'Internal error, or a misconfigured gateway (`gateway_misconfigured`).',
} as const

/** A body that takes too long to arrive (REQUEST_BODY_TIMEOUT_MS), on every route that reads one. */
export const SLOW_BODY = {
  408: 'The body took longer to arrive than the gateway waits (`request_timeout`; default 60 s).',
} as const

/** What JSON bodies can be refused for, before their fields are looked at. */
export const BODY_ERRORS = {
  400: 'Invalid parameter (named in `param`) or malformed JSON.',
  ...SLOW_BODY,
  413: 'Body over 256 KiB.',
  415: 'Body is not JSON.',
} as const

/** The reference's sections, in the order it shows them: what clients call first, admin last. */
const SECTIONS = [
  {
    name: 'Images',
    description: 'Generate and edit images: the OpenAI-compatible API.',
    paths: ['/v1/images/generations', '/v1/images/edits'],
  },
  {
    name: 'Embeds',
    description: 'Images for web pages by URL, signed or with a publishable key.',
    paths: ['/v1/images/embed', '/v1/images/embed/sign'],
  },
  {
    name: 'Background',
    description: 'Work that outlives the connection: warm-up batches and async requests.',
    paths: [
      '/v1/images/batches',
      '/v1/images/batches/{id}',
      '/v1/images/batches/{id}/cancel',
      '/v1/images/jobs/{id}',
      '/v1/images/jobs/{id}/events',
    ],
  },
  {
    name: 'Files',
    description: 'Stored images and their variants.',
    paths: ['/v1/images/{file}'],
  },
  {
    name: 'Models',
    description: 'The models this gateway serves and what each accepts.',
    paths: ['/v1/models', '/v1/models/{id}'],
  },
  { name: 'Usage', description: 'What a key has spent.', paths: ['/v1/usage'] },
  {
    name: 'Admin',
    description: 'Managed keys and the request log, for the operator (ADMIN_TOKEN).',
    paths: [
      '/v1/admin/keys',
      '/v1/admin/keys/{id}/revoke',
      '/v1/admin/keys/{id}/credit',
      '/v1/admin/webhooks/failures',
      '/v1/admin/requests',
      '/v1/admin/usage',
      '/v1/admin/actions',
    ],
  },
] as const

const INFO = {
  openapi: '3.1.0',
  info: {
    title: 'GPT image gateway',
    version: '1.0.0',
    description:
      'An OpenAI-compatible image generation endpoint at the edge, with caching, coalescing, image URLs and embeds. Errors are OpenAI error envelopes.',
  },
  security: CLIENT_KEY,
  tags: SECTIONS.map(({ name, description }) => ({ name, description })),
}

type Document = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>

/** The document's paths in the order of SECTIONS, each operation tagged with its section. */
function inSections(document: Document): Document {
  const paths: NonNullable<Document['paths']> = {}
  for (const { name, paths: owned } of SECTIONS)
    for (const path of owned) {
      const item = document.paths?.[path]
      if (!item) continue
      for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
        const operation = item[method]
        if (operation) operation.tags = [name]
      }
      paths[path] = item
    }
  return { ...document, paths: { ...paths, ...document.paths } }
}

/** Serves GET /openapi.json on `app`, generated once per isolate from every route it holds. */
export function serveDocument(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A client key: one of GATEWAY_KEYS, or a managed key.',
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator’s ADMIN_TOKEN, for the admin API only.',
  })
  let document: Document | null = null
  app.get('/openapi.json', (c) => {
    document ??= inSections(app.getOpenAPI31Document(INFO))
    return c.json(document)
  })
}
