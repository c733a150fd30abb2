/**
 * Gatekeeping for JSON bodies before validation: a size cap (413), the content type (415), a
 * deadline for the whole body (408) and JSON syntax (400), each as an OpenAI envelope. The body is
 * read here because Hono's bodyLimit answers in plain text and reads without a deadline.
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { fail } from '../errors'
import { bodyChunks } from '../inputs/body-chunks'

/** Largest accepted body: a 32000-character prompt is at most 128 KiB of UTF-8, plus the rest. */
export const MAX_REQUEST_BODY_BYTES = 256 * 1024

const tooLarge = (limitBytes = MAX_REQUEST_BODY_BYTES): never =>
  fail({ kind: 'payload_too_large', limitBytes })

/** The body as text, read within `timeoutMs` and refused past `limit` bytes. */
async function bodyText(
  body: ReadableStream<Uint8Array> | null,
  timeoutMs: number,
  limit = MAX_REQUEST_BODY_BYTES,
) {
  if (!body) return ''
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for await (const bytes of bodyChunks(body, timeoutMs)) {
    size += bytes.length
    if (size > limit) tooLarge(limit)
    text += decoder.decode(bytes, { stream: true })
  }
  return text + decoder.decode()
}

const readJsonUpTo = (limit: number) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (Number(c.req.header('content-length')) > limit) tooLarge(limit)
    const type = c.req.header('content-type') ?? null
    if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
      fail({ kind: 'unsupported_media_type', received: type, accepts: ['json'] })
    }
    const text = await bodyText(c.req.raw.body, c.var.settings.requestBodyTimeoutMs, limit)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      fail({ kind: 'invalid_json' })
    }
    // Hono's body cache: the validator's c.req.json() takes this value, parsed once, read once.
    c.req.bodyCache.json = Promise.resolve(json)
    await next()
  })

/** Middleware chain: size, content type, the body within its deadline, JSON syntax. */
export const jsonBody = [readJsonUpTo(MAX_REQUEST_BODY_BYTES)] as const

/** The same chain for a larger body (a batch of many requests), refused past `limit` bytes. */
export const jsonBodyUpTo = (limit: number) => [readJsonUpTo(limit)] as const
