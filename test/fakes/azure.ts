/**
 * A fake Azure OpenAI resource, strict where Azure is (research notes §1): both routes, the
 * `api-key` header, deployments, webp, response_format and unknown fields refused, content-filter
 * answers, per-deployment images a minute with retry-after(-ms), outages switched mid-test,
 * streams with partial images, multipart edits. A plain Hono app behind `fetch`.
 */
import { Hono } from 'hono'
import type { ModelId } from '../../src/models'
import { azureRefusal, CONTENT_FILTER_BODIES, azureError as error } from './azure-rules'
import { type RecordedBody, recordBody } from './record'
import { sseEvent, TINY_PNG_B64 } from './upstream'

export const FAKE_AZURE_URL = 'https://azure-east.test'
export const AZURE_KEY = 'az-key-SECRET-6b1e0f'
const MINUTE_MS = 60_000

export type AzureReply =
  | { kind: 'success' }
  /** The three content-filter shapes seen from Azure (research §1.4), all HTTP 400. */
  | {
      kind: 'content_filter'
      shape: 'contentFilter' | 'content_policy_violation' | 'moderation_blocked'
    }
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  /** A stream that sends its partial images, then an error event instead of the image. */
  | { kind: 'stream_error'; code: string }

export type Outage = null | 'status' | 'network' | 'stall'

export interface AzureCall extends RecordedBody {
  path: string
  apiVersion: string | null
  headers: Record<string, string>
  /** The deployment the call resolved to, if any. */
  deployment: string | null
  answered: number
}

export interface FakeAzureOptions {
  /** Deployment name → the model it runs. */
  deployments: Record<string, ModelId>
  key?: string
  apiVersions?: string[]
  /** Per deployment, over any 60 s; unlimited when unset. */
  imagesPerMinute?: number
  now?: () => number
}

export class FakeAzure {
  readonly calls: AzureCall[] = []
  /** Switch at any time: every call until it is set back to null fails this way. */
  outage: Outage = null
  /** 429s this fake answered because a deployment's minute was full. */
  rateLimited = 0
  private readonly replies: AzureReply[] = []
  private readonly admitted = new Map<string, number[]>()
  private readonly app = new Hono()
  private readonly key: string
  private readonly now: () => number

  constructor(private readonly options: FakeAzureOptions) {
    this.key = options.key ?? AZURE_KEY
    this.now = options.now ?? Date.now
    this.app.post('/openai/deployments/:deployment/images/:endpoint{generations|edits}', (c) =>
      this.handle(c.req.raw, c.req.param('endpoint'), c.req.param('deployment')),
    )
    this.app.post('/openai/v1/images/:endpoint{generations|edits}', (c) =>
      this.handle(c.req.raw, c.req.param('endpoint'), null),
    )
    this.app.notFound(() => error(404, { code: '404', message: 'Resource not found' }))
  }

  /** Queues replies for the next calls that pass every check; after them, successes. */
  reply(...replies: AzureReply[]): this {
    this.replies.push(...replies)
    return this
  }

  /** What the resource answers; a network outage throws, a stall waits for the abort. */
  async fetch(request: Request): Promise<Response> {
    if (this.outage === 'network') throw new TypeError('Network connection lost.')
    if (this.outage === 'stall') {
      return new Promise((_, reject) =>
        request.signal.addEventListener('abort', () =>
          reject(new DOMException('aborted', 'AbortError')),
        ),
      )
    }
    const url = new URL(request.url)
    return this.app.fetch(new Request(`http://azure${url.pathname}${url.search}`, request))
  }

  private async handle(raw: Request, endpoint: string, pathDeployment: string | null) {
    const recorded = await recordBody(raw)
    const url = new URL(raw.url)
    const call: AzureCall = {
      ...recorded,
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version'),
      headers: Object.fromEntries(raw.headers),
      deployment: null,
      answered: 0,
    }
    this.calls.push(call)
    const response = await this.judge(call, endpoint, pathDeployment)
    call.answered = response.status
    return response
  }

  private async judge(call: AzureCall, endpoint: string, pathDeployment: string | null) {
    const classic = pathDeployment !== null
    const versions = this.options.apiVersions ?? ['2025-04-01-preview']
    if (classic && !call.apiVersion)
      return error(404, { code: '404', message: 'Resource not found' })
    if (classic && !versions.includes(call.apiVersion as string))
      return error(400, { code: 'BadRequest', message: 'API version not supported' })
    const bearer = call.headers.authorization === `Bearer ${this.key}` && !classic
    if (call.headers['api-key'] !== this.key && !bearer) {
      return error(401, {
        code: '401',
        message: 'Access denied due to invalid subscription key or wrong API endpoint.',
      })
    }
    if (this.outage === 'status') return error(500, { code: 'InternalServerError', message: 'x' })
    const { body } = call
    const deployment = classic ? pathDeployment : String(body.model ?? '')
    const model = this.options.deployments[deployment]
    if (!model)
      return error(404, {
        code: 'DeploymentNotFound',
        message: 'The API deployment does not exist.',
      })
    call.deployment = deployment
    const refusal = azureRefusal(body, model, classic, endpoint === 'edits')
    if (refusal) return refusal
    if (endpoint === 'edits' && !(call.files ?? []).some((f) => /^image(\[\])?$/.test(f.field)))
      return error(400, {
        code: 'invalid_request_error',
        param: 'image',
        message: 'image is required',
      })
    const n = Number(body.n ?? 1)
    const limited = this.rateLimit(deployment, n)
    if (limited) return limited
    const reply = this.replies.shift() ?? { kind: 'success' }
    return this.answer(reply, body, endpoint === 'edits' ? 'image_edit' : 'image_generation', n)
  }

  /** Exact sliding minute per deployment, counted in images. */
  private rateLimit(deployment: string, n: number): Response | null {
    const limit = this.options.imagesPerMinute
    if (limit === undefined) return null
    const now = this.now()
    const times = (this.admitted.get(deployment) ?? []).filter((t) => t > now - MINUTE_MS)
    if (times.length + n <= limit) {
      this.admitted.set(deployment, [...times, ...Array<number>(n).fill(now)])
      return null
    }
    this.admitted.set(deployment, times)
    this.rateLimited++
    const waitMs = (times[times.length + n - limit - 1] ?? now) + MINUTE_MS - now
    const seconds = Math.ceil(waitMs / 1000)
    return error(
      429,
      {
        code: '429',
        message: `Requests to the Images_Generations Operation under Azure OpenAI API version 2025-04-01-preview have exceeded call rate limit of your current pricing tier. Please retry after ${seconds} seconds.`,
      },
      { 'retry-after-ms': String(waitMs), 'retry-after': String(seconds) },
    )
  }

  private answer(reply: AzureReply, body: Record<string, unknown>, kind: string, n: number) {
    const usage = {
      input_tokens: 50,
      input_tokens_details: { image_tokens: 40, text_tokens: 10 },
      output_tokens: 1056,
      total_tokens: 1106,
    }
    switch (reply.kind) {
      case 'json':
        return Response.json(reply.body, { status: reply.status, headers: reply.headers })
      case 'content_filter':
        return Response.json(CONTENT_FILTER_BODIES[reply.shape], { status: 400 })
      case 'success':
      case 'stream_error': {
        if (String(body.stream) !== 'true') {
          // Azure's documented answer: created, data and usage only.
          const data = Array.from({ length: n }, () => ({ b64_json: TINY_PNG_B64 }))
          return Response.json({ created: 1_700_000_000, data, usage })
        }
        const fields = {
          created_at: 1_700_000_000,
          size: '1024x1024',
          quality: 'medium',
          background: 'opaque',
          output_format: 'png',
        }
        const partials = Number(body.partial_images ?? 0)
        const frames = Array.from({ length: partials }, (_, i) =>
          sseEvent(`${kind}.partial_image`, {
            b64_json: TINY_PNG_B64,
            ...fields,
            partial_image_index: i,
          }),
        )
        if (reply.kind === 'stream_error')
          frames.push(
            `event: error\ndata: ${JSON.stringify({ error: { code: reply.code, message: 'Generated image was filtered as a result of our safety system.' } })}\n\n`,
          )
        else
          frames.push(sseEvent(`${kind}.completed`, { b64_json: TINY_PNG_B64, ...fields, usage }))
        return new Response(frames.join(''), { headers: { 'content-type': 'text/event-stream' } })
      }
    }
  }
}
