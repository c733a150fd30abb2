/**
 * The documented request schemas judge requests as the routes do. Each body (or query) goes
 * through three judges: the route itself, the zod object the route registered (the one the
 * document is generated from) and the JSON Schema published in /openapi.json. Rules between
 * fields that JSON Schema can't state (per-model sizes, format-bound options) are marked `rule`:
 * the published schema lets them pass, the route refuses them, and the refused field's
 * description says the rule.
 */
import { Validator } from '@cfworker/json-schema'
import { describe, expect, it } from 'vitest'
import type { ZodType } from 'zod'
import { signedEmbedUrl } from '../../src/embed/signing'
import { app } from '../../src/index'
import { CLIENT_KEY, callGateway, ENVS, fakeUpstream, GATEWAY_URL } from '../helpers/gateway'

const SECRET = 'embed-secret-for-tests'
const ADMIN = 'admin-token-for-tests'
const env = { ...ENVS.remote, EMBED_SIGNING_SECRET: SECRET, ADMIN_TOKEN: ADMIN }

interface Schema {
  type?: string
  description?: string
  properties?: Record<string, Schema>
  [keyword: string]: unknown
}
interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[]
  requestBody?: { content: Record<string, { schema: Schema }> }
}
type Doc = { paths: Record<string, Record<string, Operation>> }

/** A sample: what to send, whether the route accepts it, and for `rule` the words its field states. */
type Sample = [label: string, input: Record<string, unknown>, accepted: boolean, rule?: string]

const prompt = 'a fox'

/** The zod object a route registered for its body or query. */
function registered(method: string, path: string): ZodType {
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue
    const { route } = definition
    if (route.method !== method || route.path !== path) continue
    const media = route.request?.body?.content['application/json']
    return (media && 'schema' in media ? media.schema : route.request?.query) as ZodType
  }
  throw new Error(`no route ${method} ${path}`)
}

/** The published JSON Schema of a body, or of a query (its parameters as one object). */
function published(doc: Doc, method: string, path: string): Schema {
  const operation = doc.paths[path]?.[method] as Operation
  const body = operation.requestBody?.content['application/json']?.schema
  if (body) return body
  const query = (operation.parameters ?? []).filter((p) => p.in === 'query')
  return {
    type: 'object',
    properties: Object.fromEntries(query.map((p) => [p.name, p.schema])),
    required: query.filter((p) => p.required).map((p) => p.name),
  }
}

/** Query text read as the published schema types it (integers), as OpenAPI tools do. */
function typedQuery(schema: Schema, input: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(input).map(([name, value]) => {
      const type = schema.properties?.[name]?.type
      return [name, type === 'integer' && /^\d+$/.test(String(value)) ? Number(value) : value]
    }),
  )
}

async function signedPath(fields: Record<string, unknown>) {
  const params = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)]))
  return (await signedEmbedUrl(GATEWAY_URL, SECRET, params)).slice(GATEWAY_URL.length)
}

interface Case {
  method: string
  path: string
  query?: boolean
  send: (input: Record<string, unknown>) => Promise<Response>
  samples: Sample[]
}

const post = (url: string, authorization: string) => (body: Record<string, unknown>) =>
  callGateway(url, { env, body, headers: { authorization: `Bearer ${authorization}` } })

const CASES: Case[] = [
  {
    method: 'post',
    path: '/v1/images/generations',
    send: post('/v1/images/generations', CLIENT_KEY),
    samples: [
      ['the least', { prompt }, true],
      [
        'a gpt-image-2 custom size',
        { prompt, model: 'gpt-image-2', size: '2048x1152', n: 2 },
        true,
      ],
      ['jpeg compression', { prompt, output_format: 'jpeg', output_compression: 50 }, true],
      ['a stream with partials', { prompt, stream: true, partial_images: 2 }, true],
      ['our extension and user', { prompt, response_format: 'url', user: 'u1' }, true],
      ['transparency', { prompt, background: 'transparent', output_format: 'webp' }, true],
      ['no prompt', {}, false],
      ['an empty prompt', { prompt: '' }, false],
      ['a number prompt', { prompt: 5 }, false],
      ['n 0', { prompt, n: 0 }, false],
      ['n 11', { prompt, n: 11 }, false],
      ['n 1.5', { prompt, n: 1.5 }, false],
      ['an unknown model', { prompt, model: 'dall-e-3' }, false],
      ['an unknown quality', { prompt, quality: 'ultra' }, false],
      ['an unknown field', { prompt, style: 'vivid' }, false],
      ['compression 101', { prompt, output_format: 'jpeg', output_compression: 101 }, false],
      ['stream as text', { prompt, stream: 'yes' }, false],
      ['a size no model has', { prompt, size: '999x999' }, false, 'one of 1024x1024'],
      [
        'gpt-image-2 transparent',
        { prompt, model: 'gpt-image-2', background: 'transparent' },
        false,
        "'transparent' (gpt-image-1",
      ],
      ['png compression', { prompt, output_compression: 50 }, false, 'jpeg and webp only'],
      ['partials without stream', { prompt, partial_images: 1 }, false, 'only with stream: true'],
    ],
  },
  {
    method: 'post',
    path: '/v1/images/embed/sign',
    send: post('/v1/images/embed/sign', CLIENT_KEY),
    samples: [
      ['the least', { prompt }, true],
      [
        'all nine fields',
        {
          prompt,
          model: 'gpt-image-2',
          size: '2048x1152',
          quality: 'low',
          background: 'opaque',
          output_format: 'jpeg',
          output_compression: 80,
          moderation: 'low',
          expires_in: 60,
        },
        true,
      ],
      ['no prompt', {}, false],
      ['n, which embeds don’t take', { prompt, n: 2 }, false],
      ['stream, which embeds don’t take', { prompt, stream: true }, false],
      ['expires_in 0', { prompt, expires_in: 0 }, false],
      ['an unknown model', { prompt, model: 'x' }, false],
      ['compression as text', { prompt, output_format: 'jpeg', output_compression: '50' }, false],
      ['a size no model has', { prompt, size: '99x99' }, false, 'one of 1024x1024'],
    ],
  },
  {
    method: 'get',
    path: '/v1/images/embed',
    query: true,
    send: async (query) => callGateway(await signedPath(query), { env }),
    samples: [
      ['the least', { prompt }, true],
      ['a size and model', { prompt, model: 'gpt-image-1.5', size: '1536x1024' }, true],
      ['jpeg compression', { prompt, output_format: 'jpeg', output_compression: '50' }, true],
      ['no prompt', { size: '1024x1024' }, false],
      ['an unknown model', { prompt, model: 'dall-e-3' }, false],
      ['compression 150', { prompt, output_format: 'jpeg', output_compression: '150' }, false],
      ['an unknown quality', { prompt, quality: 'ultra' }, false],
      ['a size no model has', { prompt, size: '99x99' }, false, 'one of 1024x1024'],
    ],
  },
  {
    method: 'post',
    path: '/v1/admin/keys',
    send: post('/v1/admin/keys', ADMIN),
    samples: [
      ['a secret key', { name: 'a', kind: 'secret' }, true],
      [
        'a publishable key with everything',
        {
          name: 'b',
          kind: 'publishable',
          origins: ['https://a.example'],
          balance_usd: 5,
          rate_limit_per_minute: 10,
          permissions: {
            models: ['gpt-image-2'],
            max_n: 2,
            max_size: '1536x1024',
            max_quality: 'medium',
          },
        },
        true,
      ],
      ['no name', { kind: 'secret' }, false],
      ['an empty name', { name: '', kind: 'secret' }, false],
      ['an unknown kind', { name: 'a', kind: 'other' }, false],
      ['an unknown field', { name: 'a', kind: 'secret', owner: 'x' }, false],
      ['a negative balance', { name: 'a', kind: 'secret', balance_usd: -1 }, false],
      ['max_n 11', { name: 'a', kind: 'secret', permissions: { max_n: 11 } }, false],
      [
        'a publishable key without origins',
        { name: 'a', kind: 'publishable' },
        false,
        'needs at least one',
      ],
    ],
  },
]

describe('documented request schemas judge like their routes', () => {
  it.each(CASES.map((c) => [`${c.method.toUpperCase()} ${c.path}`, c] as const))(
    '%s',
    async (_name, c) => {
      fakeUpstream()
      const doc = (await (await callGateway('/openapi.json', { env })).json()) as Doc
      const schema = published(doc, c.method, c.path)
      const jsonSchema = new Validator(schema as object, '2020-12')
      const zod = registered(c.method, c.path)
      for (const [label, input, accepted, rule] of c.samples) {
        const res = await c.send(input)
        const status = res.status
        const body = await res.text()
        if (accepted) expect(status, `${label}: ${body}`).toBeLessThan(400)
        else expect(status, `${label}: ${body}`).toBe(400)
        expect(zod.safeParse(input).success, `${label} (registered zod schema)`).toBe(accepted)
        const document = c.query ? typedQuery(schema, input) : input
        expect(jsonSchema.validate(document).valid, `${label} (published schema)`).toBe(
          accepted || rule !== undefined,
        )
        if (rule) {
          const param = (JSON.parse(body) as { error: { param: string } }).error.param
          expect(schema.properties?.[param]?.description, `${label}: ${param}`).toContain(rule)
        }
      }
    },
  )
})
