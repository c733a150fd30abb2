/**
 * A fake OpenAI images API: a plain Hono app (ramen-api's mockApp pattern) that checks the
 * operator's key, records every call (an edit's multipart parts too), and answers with whatever a
 * test scripted: JSON, SSE, errors, slowness, or nothing at all. It also serves pictures at
 * FAKE_FILES_URL, for edits that give their pictures by https URL.
 */
import { Hono } from 'hono'
import { type RecordedBody, recordBody } from './record'

export { recordBody } from './record'

export const FAKE_UPSTREAM_URL = 'https://upstream.test/v1'
/** Where `FakeUpstream.serve()` puts files. */
export const FAKE_FILES_URL = 'https://files.example.com'
export const OPERATOR_KEY = 'sk-operator-SECRET-5f1c2e9a7b'

/** A 1×1 PNG, base64: the smallest real image a fake success can carry. */
export const TINY_PNG_B64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC'

export type FakeReply =
  | { kind: 'success'; requestId?: string }
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  /** `hold` keeps back the frames from index `after` on until `until` resolves. */
  | { kind: 'sse'; frames: string[]; intervalMs?: number; hold?: Hold }
  /**
   * A body sent in exactly these chunks; then `reset` breaks the connection, `stall` goes silent,
   * and `repeat` sends the same text again every interval, forever.
   */
  | {
      kind: 'chunks'
      chunks: (string | Uint8Array)[]
      contentType: string
      end?: ChunksEnd
      intervalMs?: number
    }
  | { kind: 'stall' }
  | { kind: 'network_error' }
  | { kind: 'delay'; ms: number; reply: FakeReply }
  /** `reply`, once `until` resolves (a gate the test opens). */
  | { kind: 'held'; until: Promise<void>; reply: FakeReply }

type ChunksEnd = 'close' | 'reset' | 'stall' | { repeat: string }

export interface Hold {
  after: number
  until: Promise<void>
}

/** A promise a test resolves when it is ready: `gate.open()`. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

export interface RecordedCall extends RecordedBody {
  url: string
  authorization: string | null
  contentType: string | null
  /** Every header the upstream received, lower-cased. */
  headers: Record<string, string>
}

/** The top-level fields of an Images API answer, sorted. */
export const IMAGES_RESPONSE_KEYS = [
  'background',
  'created',
  'data',
  'output_format',
  'quality',
  'size',
  'usage',
]

/** An OpenAI-shaped success body for a request. */
export function successBody(body: Record<string, unknown>) {
  const n = Number(body.n ?? 1)
  return {
    created: 1_700_000_000,
    background: 'opaque',
    data: Array.from({ length: n }, () => ({ b64_json: TINY_PNG_B64 })),
    output_format: 'png',
    quality: 'medium',
    size: '1024x1024',
    usage: {
      input_tokens: 10,
      input_tokens_details: { image_tokens: 0, text_tokens: 10 },
      output_tokens: 1056,
      total_tokens: 1066,
    },
  }
}

/** An OpenAI error answer. */
export function errorReply(
  status: number,
  error: Record<string, unknown>,
  headers?: Record<string, string>,
): FakeReply {
  return {
    kind: 'json',
    status,
    body: {
      error: { message: 'x', type: 'invalid_request_error', param: null, code: null, ...error },
    },
    headers,
  }
}

export class FakeUpstream {
  readonly calls: RecordedCall[] = []
  /** How many answer bodies the gateway cancelled (stopped reading) before their end. */
  cancelledBodies = 0
  private readonly replies: FakeReply[] = []
  /** Files served at FAKE_FILES_URL, by path. */
  readonly files = new Map<string, Response>()
  /** Every URL the gateway fetched at FAKE_FILES_URL, in order. */
  readonly fileFetches: string[] = []
  readonly app = new Hono()

  constructor(readonly key: string = OPERATOR_KEY) {
    this.app.post('/v1/images/:endpoint{generations|edits}', async (c) => {
      const recorded = await recordBody(c.req.raw)
      const { body } = recorded
      this.calls.push({
        url: c.req.url,
        authorization: c.req.header('authorization') ?? null,
        contentType: c.req.header('content-type') ?? null,
        headers: Object.fromEntries(c.req.raw.headers),
        ...recorded,
      })
      if (c.req.header('authorization') !== `Bearer ${this.key}`) {
        return c.json(
          {
            error: {
              message: `Incorrect API key provided: ${c.req.header('authorization')}`,
              type: 'invalid_request_error',
              param: null,
              code: 'invalid_api_key',
            },
          },
          401,
        )
      }
      return this.answer(this.replies.shift() ?? { kind: 'success' }, body)
    })
  }

  /** Serves `response` (cloned for each fetch) at FAKE_FILES_URL + `path`. */
  serve(path: string, response: Response): this {
    this.files.set(path, response)
    return this
  }

  /** Queues replies for the next calls, in order; after them every call succeeds. */
  reply(...replies: FakeReply[]): this {
    this.replies.push(...replies)
    return this
  }

  /** What the next call will get, without consuming it (the fetch stub needs this). */
  peek(): FakeReply | undefined {
    return this.replies[0]
  }

  /** Drops the next reply (used when the fetch stub acts it out itself). */
  take(): FakeReply | undefined {
    return this.replies.shift()
  }

  private async answer(reply: FakeReply, body: Record<string, unknown>): Promise<Response> {
    switch (reply.kind) {
      case 'success':
        return Response.json(successBody(body), {
          headers: { 'x-request-id': reply.requestId ?? 'req_fake_123' },
        })
      case 'json':
        return Response.json(reply.body, { status: reply.status, headers: reply.headers })
      case 'sse':
        return new Response(
          this.chunkedBody(reply.frames, 'close', reply.intervalMs ?? 0, reply.hold),
          {
            headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_fake_sse' },
          },
        )
      case 'chunks':
        return new Response(
          this.chunkedBody(reply.chunks, reply.end ?? 'close', reply.intervalMs ?? 0),
          {
            headers: { 'content-type': reply.contentType, 'x-request-id': 'req_fake_chunks' },
          },
        )
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, reply.ms))
        return this.answer(reply.reply, body)
      case 'held':
        await reply.until
        return this.answer(reply.reply, body)
      case 'stall':
      case 'network_error':
        throw new Error(`${reply.kind} must be acted out by the fetch stub`)
    }
  }

  private chunkedBody(
    chunks: (string | Uint8Array)[],
    end: ChunksEnd,
    intervalMs: number,
    hold?: Hold,
  ): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder()
    let index = 0
    return new ReadableStream({
      pull: async (controller) => {
        if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs))
        if (hold && index === hold.after) await hold.until
        if (index >= chunks.length) {
          if (typeof end === 'object') controller.enqueue(encoder.encode(end.repeat))
          else if (end === 'reset') controller.error(new TypeError('Network connection lost.'))
          else if (end === 'stall')
            await new Promise(() => {}) // never another byte
          else controller.close()
          return
        }
        const chunk = chunks[index++] as string | Uint8Array
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
      },
      cancel: () => {
        this.cancelledBodies++
      },
    })
  }
}

/** An SSE frame as OpenAI sends it: `event: <type>` and the JSON payload on one data line. */
export function sseEvent(type: string, payload: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`
}

/**
 * A partial-image event followed by a completed event, with real (tiny) PNGs; `kind` names them
 * as a generation's (`image_generation.*`) or an edit's (`image_edit.*`).
 */
export function imageStreamFrames(partials = 1, kind = 'image_generation'): string[] {
  const common = {
    created_at: 1_700_000_000,
    size: '1024x1024',
    quality: 'medium',
    background: 'opaque',
    output_format: 'png',
  }
  return [
    ...Array.from({ length: partials }, (_, i) =>
      sseEvent(`${kind}.partial_image`, {
        b64_json: TINY_PNG_B64,
        ...common,
        partial_image_index: i,
      }),
    ),
    sseEvent(`${kind}.completed`, {
      b64_json: TINY_PNG_B64,
      ...common,
      usage: { input_tokens: 10, output_tokens: 1156, total_tokens: 1166 },
    }),
  ]
}
