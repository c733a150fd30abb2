/**
 * JSON answer bytes: OpenAI's `{"data":[{"b64_json":…}],"created":…}` written around base64
 * that streams through (never one string), and our URL answer for `response_format: "url"`.
 */
import type { ResultMeta } from '../result/result'
import { encoder } from '../stream/bytes'

export const JSON_OPENING = encoder.encode('{"data":[')
export const JSON_IMAGE_TAIL = encoder.encode('"}')
const FIRST_IMAGE_HEAD = encoder.encode('{"b64_json":"')
const NEXT_IMAGE_HEAD = encoder.encode(',{"b64_json":"')

export function jsonImageHead(index: number): Uint8Array {
  return index === 0 ? FIRST_IMAGE_HEAD : NEXT_IMAGE_HEAD
}

/** The answer's fields other than `data`, in OpenAI's order. */
export function metaFields(meta: ResultMeta): Record<string, unknown> {
  const fields: Record<string, unknown> = { created: meta.created }
  for (const name of ['background', 'output_format', 'quality', 'size', 'usage'] as const) {
    if (meta[name] !== undefined) fields[name] = meta[name]
  }
  return fields
}

/** What follows the last image: `],"created":…}`. */
export function jsonClosing(meta: ResultMeta): Uint8Array {
  return encoder.encode(`],${JSON.stringify(metaFields(meta)).slice(1)}`)
}

/** The URL answer: `{"created":…,"data":[{"url":…}],…}`. */
export function urlAnswer(urls: string[], meta: ResultMeta): Uint8Array {
  const { created, ...rest } = metaFields(meta)
  return encoder.encode(JSON.stringify({ created, data: urls.map((url) => ({ url })), ...rest }))
}
