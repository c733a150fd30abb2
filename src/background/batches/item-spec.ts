/**
 * A batch item as the request it stands for: a generation body, checked exactly as
 * /v1/images/generations checks one, or an embed URL, read as the embed route reads its query.
 * The route checks every item before queueing any; the consumer reads them again when they run.
 */
import type { core } from 'zod'
import { embedQuerySchema } from '../../embed/embed-request'
import type { Failure } from '../../failure'
import { type ImageRequest, imageRequestSchema } from '../../schema/image-request'
import { describeIssue } from '../../schema/validation-hook'
import type { BatchItemSpec } from './item-message'

/** Where an embed item's URL must point (a path, or a full URL on any host). */
export const EMBED_PATH = '/v1/images/embed'

export type ItemRequest =
  | { ok: true; input: ImageRequest; params: URLSearchParams | null }
  | { ok: false; failure: Failure }

/** The item as its request, or the 400 naming `items[index].<field>`. */
export function itemRequest(spec: BatchItemSpec, index: number): ItemRequest {
  const at = `items[${index}]`
  if (spec.kind === 'request') {
    const parsed = imageRequestSchema.safeParse(spec.body)
    if (parsed.success) return { ok: true, input: parsed.data, params: null }
    return { ok: false, failure: named(parsed.error.issues, spec.body, at) }
  }
  let url: URL
  try {
    url = new URL(spec.url, 'https://embed.invalid')
  } catch {
    return { ok: false, failure: invalid(`${at}.url`, 'not a URL') }
  }
  if (url.pathname !== EMBED_PATH)
    return { ok: false, failure: invalid(`${at}.url`, `not an embed URL (${EMBED_PATH}?...)`) }
  const query = Object.fromEntries(url.searchParams)
  const parsed = embedQuerySchema.safeParse(query)
  if (!parsed.success) {
    const failure = named(parsed.error.issues, query, `${at}.url`)
    return { ok: false, failure }
  }
  return { ok: true, input: parsed.data.request, params: url.searchParams }
}

/** A batch item as the client wrote it: a request body, or `{"url": ...}` for an embed. */
export function itemSpecOf(item: Record<string, unknown>): BatchItemSpec {
  const keys = Object.keys(item)
  if (keys.length === 1 && keys[0] === 'url' && typeof item.url === 'string')
    return { kind: 'embed', url: item.url }
  return { kind: 'request', body: item }
}

function named(issues: core.$ZodIssue[], input: unknown, at: string): Failure {
  const [first] = issues
  const failure = first ? describeIssue(first, input) : invalid(at, 'invalid item')
  if (failure.kind !== 'invalid_request') return failure
  const param = failure.param === null ? at : `${at}.${failure.param}`
  return { ...failure, param, message: `${at}: ${failure.message}` }
}

function invalid(param: string, problem: string): Failure {
  return {
    kind: 'invalid_request',
    param,
    code: 'invalid_value',
    message: `Invalid '${param}': ${problem}.`,
  }
}
