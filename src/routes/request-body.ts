/**
 * Gatekeeping for JSON bodies before validation: a size cap (413), the content type (415) and
 * JSON syntax (400), each as an OpenAI envelope. Hono's validator would answer these with plain
 * text, which the openai SDK cannot read.
 */
import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { fail } from '../errors'

/** Largest accepted body: a 32000-character prompt is at most 128 KiB of UTF-8, plus the rest. */
export const MAX_BODY_BYTES = 256 * 1024

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => fail({ kind: 'payload_too_large', limitBytes: MAX_BODY_BYTES }),
})

const parseJson = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header('content-type') ?? null
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
    fail({ kind: 'unsupported_media_type', received: type, accepts: ['json'] })
  }
  // Parsed once here; Hono caches it, so the zod validator reads the same value.
  await c.req.json().catch(() => fail({ kind: 'invalid_json' }))
  await next()
})

/** Middleware chain: size cap, then content type and JSON syntax. */
export const jsonBody = [limitBody, parseJson] as const
