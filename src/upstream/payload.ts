/**
 * What the owner sends upstream, as plain data (it crosses to the Durable Object): a generation's
 * JSON body, or an edit's text fields and stored pictures (streamed into multipart-body.ts).
 */

export interface UpstreamFile {
  /** The multipart field: `image`, `image[]` or `mask`. */
  field: string
  filename: string
  /** From the picture's bytes, never from what the client declared. */
  contentType: string
  bytes: number
  /** The R2 object holding it (src/cache/inputs.ts). */
  object: string
}

export type UpstreamPayload =
  | { kind: 'generation'; body: Record<string, unknown> }
  | { kind: 'edit'; fields: [string, string][]; files: UpstreamFile[] }

/** The upstream endpoint of each kind of request, under its base URL. */
export const UPSTREAM_PATHS = { generation: '/images/generations', edit: '/images/edits' } as const

/** Opens a stored input picture for reading, or null when it is gone. */
export type OpenInput = (object: string) => Promise<ReadableStream<Uint8Array> | null>
