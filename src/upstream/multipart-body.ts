/**
 * An edit's upstream body: multipart text fields, then each stored picture piped natively from R2
 * into a FixedLengthStream (every length is known): the owner holds none of the pictures' bytes.
 */
import { encoder, hex } from '../stream/bytes'
import type { OpenInput, UpstreamFile } from './payload'

/** A header value safe inside quotes (RFC 7578 §4.2: the WHATWG form encoding escapes these). */
const quoted = (text: string) =>
  text.replace(/[\r\n"\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** Control characters (but tab), DEL and undecodable bytes (U+FFFD): parsers refuse them in a header. */
const unsafeInHeader = (c: string) => {
  const code = c.codePointAt(0) as number
  return (code < 0x20 && c !== '\t') || code === 0x7f || code === 0xfffd
}

/**
 * The filename the upstream sees: the client's own name with the characters no multipart parser
 * takes in a header replaced by `_`, at most 255 characters; `fallback` when nothing is left.
 * The name only labels the part, so a client's odd bytes are never a reason to fail a paid edit.
 */
export function safeFilename(name: string, fallback: string): string {
  const clean = Array.from(name.trim(), (c) => (unsafeInHeader(c) ? '_' : c))
    .slice(0, 255)
    .join('')
  return /[^_.\s]/.test(clean) ? clean : fallback
}

/** The body and its content type; each call makes a fresh body (a retry sends it again). */
export function multipartBody(
  fields: readonly (readonly [string, string])[],
  files: readonly UpstreamFile[],
  open: OpenInput,
): { body: ReadableStream<Uint8Array>; contentType: string } {
  const boundary = `gateway-${hex(crypto.getRandomValues(new Uint8Array(16)))}`
  const texts = fields.map(([name, value]) =>
    encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`,
    ),
  )
  const heads = files.map((file) =>
    encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.filename)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
    ),
  )
  const lineEnd = encoder.encode('\r\n')
  const closing = encoder.encode(`--${boundary}--\r\n`)
  const length =
    texts.reduce((sum, text) => sum + text.length, 0) +
    files.reduce((sum, file, i) => sum + (heads[i] as Uint8Array).length + file.bytes + 2, 0) +
    closing.length
  const { readable, writable } = new FixedLengthStream(length)

  // The writer is let go while a picture is piped in (a pipe locks the stream itself).
  let held: WritableStreamDefaultWriter<Uint8Array> | null = null
  const hold = () => {
    held = writable.getWriter()
    return held
  }
  async function pump(): Promise<void> {
    let writer = hold()
    for (const text of texts) await writer.write(text)
    for (const [i, file] of files.entries()) {
      await writer.write(heads[i] as Uint8Array)
      const bytes = await open(file.object)
      if (!bytes) throw new Error('an input picture is gone from storage')
      writer.releaseLock()
      held = null
      await bytes.pipeTo(writable, { preventClose: true })
      writer = hold()
      await writer.write(lineEnd)
    }
    await writer.write(closing)
    await writer.close()
  }
  // A failed pipe has aborted the body already; otherwise the writer does.
  pump().catch((error: unknown) => held?.abort(error).catch(() => {}))
  return { body: readable, contentType: `multipart/form-data; boundary=${boundary}` }
}
