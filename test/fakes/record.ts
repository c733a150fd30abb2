/** What a request to a fake carried: a JSON body, or a multipart body's fields and files (hashed). */
import { hex } from '../../src/stream/bytes'

export interface RecordedFile {
  field: string
  filename: string
  contentType: string
  bytes: number
  sha256: string
}

export interface RecordedBody {
  /** The JSON body, or a multipart body's text fields. */
  body: Record<string, unknown>
  /** A multipart body's files, in order. */
  files?: RecordedFile[]
  /** A multipart body's part names, in order. */
  parts?: string[]
}

/** What a request carried: its JSON body, or its multipart fields and files. */
export async function recordBody(request: Request): Promise<RecordedBody> {
  if (!(request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) {
    return { body: (await request.json()) as Record<string, unknown> }
  }
  const form = await request.formData()
  const body: Record<string, unknown> = {}
  const files: RecordedFile[] = []
  const parts: string[] = []
  for (const [field, value] of form) {
    parts.push(field)
    if (typeof value === 'string') body[field] = value
    else {
      const bytes = new Uint8Array(await value.arrayBuffer())
      const sha256 = hex(await crypto.subtle.digest('SHA-256', bytes))
      const { name: filename, type: contentType } = value
      files.push({ field, filename, contentType, bytes: bytes.length, sha256 })
    }
  }
  return { body, files, parts }
}
