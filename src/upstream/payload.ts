/**
 * What the owner sends upstream besides the prompt, as plain data (it crosses to the Durable
 * Object): a generation's JSON fields, or an edit's text fields and stored pictures.
 */
import { type ImageRequest, upstreamFields } from '../schema/image-request'

export interface UpstreamFile {
  /** The multipart field: `image`, `image[]` or `mask`. */
  field: string
  filename: string
  /** From the picture's bytes, never from what the client declared. */
  contentType: string
  bytes: number
  /** The R2 object holding it. */
  object: string
}

/** The prompt is not here: it travels once, in the normalized request, and joins these fields. */
export type UpstreamPayload =
  /** `model` and the other fields the client set. */
  | { kind: 'generation'; fields: Record<string, unknown> }
  /** `model` first, then the other text fields the client set; and the pictures. */
  | { kind: 'edit'; fields: [string, string][]; files: UpstreamFile[] }

/** The payload of a generation request as the client sent it. */
export function generationPayload(input: ImageRequest): UpstreamPayload {
  return { kind: 'generation', fields: upstreamFields(input) }
}

/** An edit's stored pictures (R2 objects), in upstream order; none for a generation. */
export function inputObjects(payload: UpstreamPayload): string[] {
  return payload.kind === 'edit' ? payload.files.map((file) => file.object) : []
}

/** The upstream endpoint of each kind of request, under its base URL. */
export const UPSTREAM_PATHS = { generation: '/images/generations', edit: '/images/edits' } as const

/** Opens a stored input picture for reading, or null when it is gone. */
export type OpenInput = (object: string) => Promise<ReadableStream<Uint8Array> | null>
