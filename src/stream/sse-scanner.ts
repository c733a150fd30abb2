/**
 * Finds server-sent event frames in a byte stream without decoding it (native `indexOf` for line
 * ends). Hand-written: eventsource-parser works on decoded strings, which would copy every image.
 */
import { concat } from './bytes'
import { ChunkText } from './chunk-text'
import { MalformedBodyError } from './malformed'

export interface SseSink {
  /** A frame with data begins; `head` holds its raw bytes so far (fields before its data). */
  begin(event: string, head: Uint8Array): void
  /** Raw bytes `chunk[from, to)` of the current frame. For a data line, comes before `data()`. */
  raw(chunk: Uint8Array, from: number, to: number): void
  /** Data content `chunk[from, to)`: a data field's value (one leading space stripped). */
  data(chunk: Uint8Array, from: number, to: number): void
  /** A second or later data line starts: its value joins the data with a line feed. */
  dataBreak(): void
  /** The blank line ending the frame has been passed to `raw()`. */
  end(): void
}

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const SPACE = 0x20
/** Field lines before a frame's first data line (event, id, comments) may hold this much. */
const MAX_HEAD_BYTES = 64 * 1024
const MAX_NAME_BYTES = 64
const MAX_EVENT_TYPE_BYTES = 256
const decoder = new TextDecoder()

type LineState = 'start' | 'name' | 'value'
type Field = 'data' | 'event' | 'ignored'

/**
 * Frames by WHATWG HTML, "Interpreting an event stream". The sink is told where each frame begins
 * (at its first data line, once its type is known), gets its raw bytes and its data as ranges of
 * the chunks (no copies), and hears when the blank line ends it. Blocks without data (comments,
 * keep-alives) are not frames and are dropped, as a browser would.
 */
export class SseScanner {
  private head: Uint8Array[] = []
  private headBytes = 0
  private type: string | null = null
  private classified = false
  private dataLines = 0
  private line: LineState = 'start'
  private field: Field = 'ignored'
  private name: number[] = []
  private eventValue: number[] = []
  private valueStart = false
  private pendingCR = false
  private endAfterCR = false
  private started = false
  private readonly ends = new LineEnds()

  constructor(private readonly sink: SseSink) {}

  /** True while a frame has begun but not ended (a stream cut now would cut an event). */
  get inFrame(): boolean {
    return this.classified
  }

  /** Scans a chunk; `text` (searchable windows of it) may be shared with other scanners. */
  push(chunk: Uint8Array, text = new ChunkText(chunk)): void {
    if (chunk.length === 0) return
    this.ends.reset(text)
    let i = 0
    if (!this.started) {
      this.started = true
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3 // a leading BOM
    }
    if (this.pendingCR) {
      this.pendingCR = false
      if (chunk[0] === LF) this.rawBytes(chunk, 0, ++i)
      if (this.endAfterCR) {
        this.endAfterCR = false
        this.endFrame()
      }
    }
    while (i < chunk.length) {
      if (this.line === 'start') {
        const b = chunk[i]
        if (b === LF || b === CR) {
          const length = this.terminator(chunk, i)
          this.rawBytes(chunk, i, i + length)
          i += length
          if (this.pendingCR) this.endAfterCR = true
          else this.endFrame()
          continue
        }
        this.line = 'name'
        this.name = []
      }
      const end = this.ends.next(i)
      this.content(chunk, i, end < 0 ? chunk.length : end)
      if (end < 0) return
      const length = this.terminator(chunk, end)
      this.rawBytes(chunk, end, end + length)
      this.endLine()
      i = end + length
    }
  }

  /** The stream ended. Returns whether it ended inside a frame (an incomplete event, dropped). */
  finish(): boolean {
    if (this.endAfterCR) {
      this.endAfterCR = false
      this.pendingCR = false
      this.endFrame()
    }
    return this.classified
  }

  /** Length of the line terminator at `at` (CR, LF or CRLF); a CR at a chunk's end waits. */
  private terminator(chunk: Uint8Array, at: number): number {
    if (chunk[at] === LF) return 1
    if (at + 1 < chunk.length) return chunk[at + 1] === LF ? 2 : 1
    this.pendingCR = true
    return 1
  }

  private content(chunk: Uint8Array, from: number, to: number): void {
    let at = from
    if (this.line === 'name') {
      const found = chunk.subarray(from, to).indexOf(COLON)
      const colon = found < 0 ? -1 : from + found
      const nameEnd = colon < 0 ? to : colon
      for (let j = from; j < nameEnd && this.name.length <= MAX_NAME_BYTES; j++) {
        this.name.push(chunk[j] as number)
      }
      if (nameEnd === to) {
        this.rawBytes(chunk, from, to)
        return
      }
      this.rawBytes(chunk, from, colon + 1)
      this.startField()
      this.line = 'value'
      this.valueStart = true
      at = colon + 1
    }
    if (at >= to) return
    this.rawBytes(chunk, at, to)
    if (this.valueStart) {
      this.valueStart = false
      if (chunk[at] === SPACE) at++
    }
    if (this.field === 'data' && at < to) this.sink.data(chunk, at, to)
    if (this.field === 'event') {
      for (let j = at; j < to && this.eventValue.length <= MAX_EVENT_TYPE_BYTES; j++) {
        this.eventValue.push(chunk[j] as number)
      }
    }
  }

  /** The field name is complete: a data field begins the frame, if nothing did yet. */
  private startField(): void {
    const name = String.fromCharCode(...this.name)
    this.field = name === 'data' ? 'data' : name === 'event' ? 'event' : 'ignored'
    this.eventValue = []
    if (this.field !== 'data') return
    if (!this.classified) {
      this.classified = true
      const head = concat(this.head, this.headBytes)
      this.head = []
      this.headBytes = 0
      this.sink.begin(this.type ?? 'message', head)
    }
    if (this.dataLines++ > 0) this.sink.dataBreak()
  }

  private endLine(): void {
    if (this.line === 'name') this.startField() // a field name with no colon: an empty value
    if (this.field === 'event') {
      if (this.eventValue.length > MAX_EVENT_TYPE_BYTES)
        throw new MalformedBodyError('event type too long')
      const type = decoder.decode(new Uint8Array(this.eventValue))
      if (this.classified && type !== this.type) {
        // The frame was forwarded as one type already; a later event field cannot change it.
        throw new MalformedBodyError('event field after the data of its frame')
      }
      this.type = type
    }
    this.line = 'start'
    this.field = 'ignored'
  }

  private endFrame(): void {
    if (this.classified) this.sink.end()
    this.classified = false
    this.type = null
    this.dataLines = 0
    this.head = []
    this.headBytes = 0
  }

  private rawBytes(chunk: Uint8Array, from: number, to: number): void {
    if (from >= to) return
    if (this.classified) {
      this.sink.raw(chunk, from, to)
      return
    }
    this.headBytes += to - from
    if (this.headBytes > MAX_HEAD_BYTES) throw new MalformedBodyError('frame fields too long')
    this.head.push(chunk.slice(from, to))
  }
}

/**
 * Line ends in one chunk. Remembers where the next CR and the next LF are, so a chunk of many
 * short lines is searched once for each byte value, not once per line.
 */
class LineEnds {
  private text = new ChunkText(new Uint8Array(0))
  private lf = -1
  private cr = -1

  reset(text: ChunkText): void {
    this.text = text
    this.lf = -2
    this.cr = -2
  }

  /** Index of the first CR or LF at or after `from`, or -1. */
  next(from: number): number {
    if (this.lf !== -1 && this.lf < from) this.lf = this.text.indexOf(LF, from)
    if (this.cr !== -1 && this.cr < from) this.cr = this.text.indexOf(CR, from)
    if (this.lf < 0) return this.cr
    if (this.cr < 0) return this.lf
    return Math.min(this.lf, this.cr)
  }
}
