/**
 * Streaming multipart/form-data scanner (RFC 7578): part bodies are handed on as they arrive. Hand-
 * written: no maintained parser streams part bodies (@remix-run/multipart-parser 0.16 buffers each
 * part's content; busboy needs Node streams). Delimiters found by node:buffer's native indexOf.
 */
import { Buffer } from 'node:buffer'
import { concat, encoder } from './bytes'

/** A part's headers: its field name, and for a file its filename and declared content type. */
export interface PartHead {
  name: string
  filename: string | null
  contentType: string | null
}

export interface MultipartSink {
  begin(part: PartHead): void
  /** Body bytes `chunk[from, to)` of the current part; valid only during the call. */
  data(chunk: Uint8Array, from: number, to: number): void
  end(): void
}

/** A body that is not well-formed multipart. */
export class MultipartError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'MultipartError'
  }
}

const CR = 0x0d
const DASH = 0x2d
const MAX_HEADER_BYTES = 8 * 1024
const HEADERS_END = encoder.encode('\r\n\r\n')
const utf8 = new TextDecoder()

type State = 'preamble' | 'after' | 'headers' | 'body' | 'done'

/** The boundary of a `multipart/form-data` content type, or null when it is not one. */
export function boundaryOf(contentType: string | null | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return null
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType)
  return match?.[1] ?? match?.[2] ?? null
}

export class MultipartScanner {
  private readonly delimiter: Uint8Array
  private readonly needle: Buffer
  private state: State = 'preamble'
  /** Bytes not passed on yet because they may begin a delimiter (fewer than its length). */
  private carry: Uint8Array
  private after: number[] = []
  private header: Uint8Array[] = []
  private headerBytes = 0
  private inPart = false

  constructor(
    boundary: string,
    private readonly sink: MultipartSink,
  ) {
    this.delimiter = encoder.encode(`\r\n--${boundary}`)
    this.needle = Buffer.from(this.delimiter)
    // The first boundary may open the body without a line break before it.
    this.carry = encoder.encode('\r\n')
  }

  push(chunk: Uint8Array): void {
    let at = 0
    while (at < chunk.length && this.state !== 'done') {
      if (this.state === 'after') at = this.afterDelimiter(chunk, at)
      else if (this.state === 'headers') at = this.readHeaders(chunk, at)
      else at = this.scanBody(chunk, at)
    }
  }

  /** The body ended: it must have ended with the closing delimiter. */
  finish(): void {
    if (this.state !== 'done') throw new MultipartError('the body ended before its last boundary')
  }

  private emit(chunk: Uint8Array, from: number, to: number): void {
    if (to > from && this.state === 'body') this.sink.data(chunk, from, to)
  }

  /** Body (or preamble) bytes up to the next delimiter; returns where scanning continues. */
  private scanBody(chunk: Uint8Array, from: number): number {
    const d = this.delimiter
    if (this.carry.length > 0) {
      const carry = this.carry
      const window = concat([carry, chunk.subarray(from, from + d.length - 1)])
      const found = Buffer.from(window.buffer, window.byteOffset, window.length).indexOf(d)
      if (found >= 0) {
        this.carry = new Uint8Array(0)
        this.emit(carry, 0, found)
        this.state = 'after'
        return from + found + d.length - carry.length
      }
      if (window.length < carry.length + d.length - 1) {
        // Too few new bytes to decide: keep the tail that may still begin a delimiter.
        const keep = Math.min(window.length, d.length - 1)
        this.emit(window, 0, window.length - keep)
        this.carry = window.slice(window.length - keep)
        return chunk.length
      }
      this.carry = new Uint8Array(0)
      this.emit(carry, 0, carry.length)
    }
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
    const found = view.indexOf(this.needle, from)
    if (found >= 0) {
      this.emit(chunk, from, found)
      this.state = 'after'
      return found + d.length
    }
    // Hold back a tail that could be the start of a delimiter cut by the chunk's end.
    const tailFrom = Math.max(from, chunk.length - (d.length - 1))
    const cr = chunk.subarray(tailFrom).lastIndexOf(CR)
    const hold = cr < 0 ? chunk.length : tailFrom + cr
    this.emit(chunk, from, hold)
    this.carry = chunk.slice(hold)
    return chunk.length
  }

  /** After a delimiter: `--` closes the body; otherwise optional blanks and CRLF start a part. */
  private afterDelimiter(chunk: Uint8Array, from: number): number {
    let at = from
    for (; at < chunk.length; at++) {
      const b = chunk[at] as number
      const seen = this.after
      if (seen.length === 0 && b === DASH) {
        seen.push(b)
        continue
      }
      if (seen[0] === DASH) {
        if (b !== DASH) throw new MultipartError('a malformed closing boundary')
        this.closePart()
        this.state = 'done'
        return chunk.length
      }
      if (b === 0x20 || b === 0x09) continue
      if (b === CR && seen.length === 0) {
        seen.push(b)
        continue
      }
      if (seen[0] === CR && b === 0x0a) {
        this.closePart()
        this.after = []
        this.state = 'headers'
        // The line break just read lets an empty header block end at the next one.
        this.header = [encoder.encode('\r\n')]
        this.headerBytes = 2
        return at + 1
      }
      throw new MultipartError('a boundary followed by something else than a line break')
    }
    return at
  }

  private readHeaders(chunk: Uint8Array, from: number): number {
    const previous = this.headerBytes
    this.header.push(chunk.subarray(from, Math.min(chunk.length, from + MAX_HEADER_BYTES)))
    const joined = concat(this.header)
    const found = Buffer.from(joined.buffer, joined.byteOffset, joined.length).indexOf(
      HEADERS_END,
      Math.max(0, previous - 3),
    )
    if (found < 0) {
      if (joined.length > MAX_HEADER_BYTES) throw new MultipartError('part headers are too long')
      this.header = [joined.slice()]
      this.headerBytes = joined.length
      return chunk.length
    }
    this.header = []
    this.headerBytes = 0
    this.sink.begin(parseHead(utf8.decode(joined.subarray(2, found))))
    this.inPart = true
    this.state = 'body'
    return from + found + HEADERS_END.length - previous
  }

  private closePart(): void {
    if (!this.inPart) return
    this.inPart = false
    this.sink.end()
  }
}

/** Reads Content-Disposition (name, filename) and Content-Type from a part's header block. */
function parseHead(text: string): PartHead {
  let disposition: string | null = null
  let contentType: string | null = null
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'content-disposition') disposition = value
    else if (name === 'content-type') contentType = value
  }
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw new MultipartError('a part without Content-Disposition: form-data')
  }
  const params = new Map<string, string>()
  for (const match of disposition.matchAll(/;\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    const raw = (match[2] as string).trim()
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw
    params.set((match[1] as string).toLowerCase(), value)
  }
  const name = params.get('name')
  if (name === undefined) throw new MultipartError('a part without a name')
  return { name, filename: params.get('filename') ?? null, contentType }
}
