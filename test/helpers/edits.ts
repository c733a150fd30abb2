/**
 * Edits for tests: real little pictures (png with and without alpha, jpeg, a webp header), and
 * POST /v1/images/edits with a multipart or JSON body through the harness.
 */
import { encode as encodePng } from 'fast-png'
import { encode as encodeJpeg } from 'jpeg-js'
import { expect, it } from 'vitest'
import type { Bindings } from '../../src/env'
import { hex } from '../../src/stream/bytes'
import { CLIENT_KEY, ENVS, fakeUpstream, GATEWAY_URL, gatewayFetch, settled } from './gateway'
import { storedKeys } from './r2'

/** A png of `width`×`height`, RGBA when `alpha` (its left half transparent), else RGB. */
export function png(width = 8, height = 8, alpha = false): Uint8Array {
  const channels = alpha ? 4 : 3
  const data = new Uint8Array(width * height * channels)
  for (let i = 0; i < width * height; i++) {
    data.set([(i * 7) % 256, (i * 13) % 256, (i * 29) % 256], i * channels)
    if (alpha) data[i * channels + 3] = i % width < width / 2 ? 0 : 255
  }
  return encodePng({ width, height, data, channels, depth: 8 })
}

export function jpeg(width = 8, height = 8): Uint8Array {
  const data = new Uint8Array(width * height * 4).fill(128)
  const { data: bytes } = encodeJpeg({ width, height, data }, 80)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A lossless WebP's header (enough for a probe; no pixel data follows). */
export function webp(width = 8, height = 8): Uint8Array {
  const bits = (width - 1) | ((height - 1) << 14)
  const frame = new Uint8Array([
    0x2f,
    bits & 0xff,
    (bits >> 8) & 0xff,
    (bits >> 16) & 0xff,
    (bits >>> 24) & 0xff,
    0,
    0,
    0,
  ])
  const chunk = new Uint8Array([...ascii('VP8L'), frame.length, 0, 0, 0, ...frame])
  return new Uint8Array([...ascii('RIFF'), 4 + chunk.length, 0, 0, 0, ...ascii('WEBP'), ...chunk])
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0))

export const file = (bytes: Uint8Array, name = 'picture.png', type = 'image/png') =>
  new File([bytes], name, { type })

/** A multipart edit: each entry a text field, or a File under its field name. */
export function form(entries: [string, string | File][]): FormData {
  const body = new FormData()
  for (const [name, value] of entries) body.append(name, value)
  return body
}

export interface EditOptions {
  env?: Partial<Bindings>
  headers?: Record<string, string>
}

/** POST /v1/images/edits with a FormData (multipart) or an object (JSON) body. */
export function postEdit(body: FormData | object, options: EditOptions = {}): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${CLIENT_KEY}`, ...options.headers })
  let payload: BodyInit
  if (body instanceof FormData) payload = body
  else {
    payload = JSON.stringify(body)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
  }
  const request = new Request(`${GATEWAY_URL}/v1/images/edits`, {
    method: 'POST',
    headers,
    body: payload,
  })
  return gatewayFetch(request, options.env ?? ENVS.remote)
}

/** A data: URL of a picture. */
export const dataUrl = (bytes: Uint8Array, type = 'image/png') =>
  `data:${type};base64,${(bytes as unknown as { toBase64(): string }).toBase64()}`

/** Hex SHA-256 of bytes. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes))
}

/** A part of a hand-made multipart body; a `size` longer than `bytes` pads it with zeros. */
export interface RawPart {
  name: string
  filename?: string
  type?: string
  bytes: Uint8Array | string
  size?: number
}

/**
 * A multipart body made as a stream, so a test can send a file of 50 MB without holding it; also
 * counts how many bytes the gateway read (`read()`), to show it stopped early.
 */
export function multipartStream(parts: RawPart[], boundary = 'test-boundary-5d1e') {
  const encoder = new TextEncoder()
  const pieces: (Uint8Array | number)[] = []
  for (const part of parts) {
    const file = part.filename === undefined ? '' : `; filename="${part.filename}"`
    const type = part.type ? `\r\nContent-Type: ${part.type}` : ''
    pieces.push(
      encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${file}${type}\r\n\r\n`,
      ),
    )
    const bytes = typeof part.bytes === 'string' ? encoder.encode(part.bytes) : part.bytes
    pieces.push(bytes)
    if (part.size && part.size > bytes.length) pieces.push(part.size - bytes.length)
    pieces.push(encoder.encode('\r\n'))
  }
  pieces.push(encoder.encode(`--${boundary}--\r\n`))
  let sent = 0
  const zeros = new Uint8Array(256 * 1024)
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces.shift()
      if (piece === undefined) return controller.close()
      if (typeof piece === 'number') {
        const n = Math.min(piece, zeros.length)
        if (piece > n) pieces.unshift(piece - n)
        sent += n
        controller.enqueue(zeros.slice(0, n))
      } else {
        sent += piece.length
        controller.enqueue(piece)
      }
    },
  })
  return { body, contentType: `multipart/form-data; boundary=${boundary}`, read: () => sent }
}

/** POST /v1/images/edits with a raw body and content type. */
export function postRaw(
  body: BodyInit,
  contentType: string,
  options: EditOptions = {},
): Promise<Response> {
  const headers = new Headers({
    authorization: `Bearer ${CLIENT_KEY}`,
    'content-type': contentType,
    ...options.headers,
  })
  const request = new Request(`${GATEWAY_URL}/v1/images/edits`, { method: 'POST', headers, body })
  return gatewayFetch(request, options.env ?? ENVS.remote)
}

/** Expects the OpenAI-style 400 naming `param` with `code`, and a message worth reading. */
export async function expectRefused(res: Response, param: string | null, code: string) {
  const body = (await res.json()) as {
    error: { param: string | null; code: string; message: string }
  }
  expect(res.status, body.error.message).toBe(400)
  expect(body.error).toMatchObject({ param, code })
  expect(body.error.message.length).toBeGreaterThan(10)
}

/** [label, send, param, code]: a refused edit and the field and code that refuse it. */
export type Refusal = [string, () => Promise<Response>, string | null, string]

/** Sends each refusal, expecting its 400, no upstream call and nothing left in R2. */
export function expectRefusals(refusals: Refusal[]) {
  it.each(refusals)('%s', async (_label, send, param, code) => {
    const fake = fakeUpstream()
    await expectRefused(await send(), param, code)
    await settled()
    expect(fake.calls).toHaveLength(0)
    expect(await storedKeys('inputs/')).toEqual([])
  })
}
