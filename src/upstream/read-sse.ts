/**
 * Reads an upstream SSE answer into generation pieces: other frames pass on as their exact bytes,
 * a completed image as its base64 slices and the bytes around them, so it is forwarded byte for
 * byte and decoded once, into R2. Error events become failures; nothing of theirs is forwarded.
 */
import { GatewayError } from '../errors'
import type { Failure } from '../failure'
import { COMPLETED_EVENTS } from '../result/events'
import { MAX_EVENT_BYTES, MAX_IMAGE_BASE64, MAX_SKELETON_BYTES } from '../result/limits'
import type { Piece } from '../result/pieces'
import { type ChunkRef, UNPOOLED } from '../stream/buffer-pool'
import { concat } from '../stream/bytes'
import { ChunkText } from '../stream/chunk-text'
import { type Base64Sink, JsonImageScanner } from '../stream/json-image-scanner'
import { MalformedBodyError } from '../stream/malformed'
import { SseScanner, type SseSink } from '../stream/sse-scanner'
import { failureFromEvent } from './error-mapping'

const LINE_FEED = new Uint8Array([0x0a])
/** An error event is small; more than this is not one we will read. */
const MAX_ERROR_BYTES = 64 * 1024
/** The JSON of a completed event besides its image. */
const MAX_EDGE_BYTES = 64 * 1024

type Mode = 'passthrough' | 'image' | 'error' | null

export class SseAnswerReader implements SseSink {
  private readonly scanner = new SseScanner(this)
  private mode: Mode = null
  private frameBytes = 0
  private index = 0
  // A completed event: its JSON, the bytes before and after its base64, and the latest raw line.
  private json: JsonImageScanner | null = null
  private prefix: Uint8Array[] = []
  private suffix: Uint8Array[] | null = null
  private edgeBytes = 0
  private base64Bytes = 0
  private began = false
  /** The latest raw line piece of a completed event, kept once we know which edge it is in. */
  private pending: { chunk: Uint8Array; from: number; to: number } | null = null
  private errorData: Uint8Array[] = []
  private errorBytes = 0
  /** Who owns the chunk being scanned, for the pieces that view it. */
  private ref: ChunkRef = UNPOOLED
  /** The chunk being scanned, searchable; shared by the line and the JSON scanners. */
  private text: ChunkText | undefined

  /** `progress` is called on every complete event (it resets the idle deadline). */
  /** `classify`: an `error` event's failure (Azure words its content filters its own way). */
  constructor(
    private readonly emit: (piece: Piece) => void,
    private readonly progress: () => void,
    private readonly classify: (data: string) => Failure = failureFromEvent,
  ) {}

  push(chunk: Uint8Array, ref: ChunkRef = UNPOOLED): void {
    this.ref = ref
    this.text = new ChunkText(chunk)
    this.scanner.push(chunk, this.text)
  }

  /** The body ended. An event cut off before its blank line means the answer broke off. */
  finish(): void {
    if (this.scanner.finish()) throw new MalformedBodyError('the answer ended inside an event')
  }

  /** Whether an event is being passed on right now (a failure now would cut it). */
  get inEvent(): boolean {
    return this.mode === 'passthrough' || (this.mode === 'image' && this.began)
  }

  begin(event: string, head: Uint8Array): void {
    this.frameBytes = head.length
    if (event === 'error' || event.endsWith('.failed')) {
      this.mode = 'error'
      this.errorData = []
      this.errorBytes = 0
    } else if (COMPLETED_EVENTS.includes(event)) {
      this.mode = 'image'
      this.json = new JsonImageScanner(this.base64Sink, MAX_SKELETON_BYTES)
      this.prefix = [head]
      this.suffix = null
      this.edgeBytes = head.length
      this.base64Bytes = 0
      this.began = false
    } else {
      this.mode = 'passthrough'
      this.emit({ kind: 'frame-begin', event })
      this.emit({ kind: 'frame-bytes', bytes: head, ref: UNPOOLED })
    }
  }

  raw(chunk: Uint8Array, from: number, to: number): void {
    this.frameBytes += to - from
    if (this.frameBytes > MAX_EVENT_BYTES) throw new MalformedBodyError('an event is too large')
    if (this.mode === 'passthrough') {
      this.emit({ kind: 'frame-bytes', bytes: chunk.subarray(from, to), ref: this.ref })
    } else if (this.mode === 'image') {
      this.keepPending()
      this.pending = { chunk, from, to }
    }
  }

  data(chunk: Uint8Array, from: number, to: number): void {
    if (this.mode === 'image') this.json?.push(chunk, from, to, this.text)
    else if (this.mode === 'error') this.keepError(chunk.slice(from, to))
  }

  dataBreak(): void {
    if (this.mode === 'image') this.json?.push(LINE_FEED)
    else if (this.mode === 'error') this.keepError(LINE_FEED)
  }

  end(): void {
    const mode = this.mode
    this.mode = null
    this.progress()
    if (mode === 'passthrough') this.emit({ kind: 'frame-end' })
    else if (mode === 'error') {
      throw new GatewayError(this.classify(new TextDecoder().decode(concat(this.errorData))))
    } else if (mode === 'image') {
      this.keepPending()
      const payload = (this.json as JsonImageScanner).finish()
      if (!this.began || !this.suffix) {
        throw new MalformedBodyError('a completed event without an image')
      }
      this.emit({
        kind: 'image-end',
        index: this.index++,
        suffix: concat(this.suffix),
        payload,
      })
      this.json = null
    }
  }

  private readonly base64Sink: Base64Sink = {
    imageBegin: (chunk, at) => {
      if (this.began) throw new MalformedBodyError('two images in one completed event')
      this.began = true
      // The current line's raw bytes up to the base64 end the prefix.
      const line = this.pending
      if (line) {
        this.keepEdge(this.prefix, chunk.slice(line.from, at))
        line.from = at // the rest of the line is base64, which is not kept
      }
      this.emit({ kind: 'image-begin', index: this.index, prefix: concat(this.prefix) })
      this.prefix = []
    },
    base64: (chunk, from, to) => {
      this.base64Bytes += to - from
      if (this.base64Bytes > MAX_IMAGE_BASE64) throw new MalformedBodyError('an image is too large')
      this.emit({ kind: 'base64', bytes: chunk.subarray(from, to), ref: this.ref })
    },
    imageEnd: (_chunk, at) => {
      this.suffix = []
      this.edgeBytes = 0
      // The current line's raw bytes from the closing quote on begin the suffix.
      if (this.pending) this.pending.from = at
    },
  }

  /** Keeps the pending raw piece in the prefix or the suffix; inside the base64 it is not kept. */
  private keepPending(): void {
    const line = this.pending
    this.pending = null
    if (!line || line.from >= line.to) return
    if (!this.began) this.keepEdge(this.prefix, line.chunk.slice(line.from, line.to))
    else if (this.suffix) this.keepEdge(this.suffix, line.chunk.slice(line.from, line.to))
  }

  private keepEdge(into: Uint8Array[], bytes: Uint8Array): void {
    this.edgeBytes += bytes.length
    if (this.edgeBytes > MAX_EDGE_BYTES) throw new MalformedBodyError('an event is too large')
    into.push(bytes)
  }

  private keepError(bytes: Uint8Array): void {
    this.errorBytes += bytes.length
    if (this.errorBytes > MAX_ERROR_BYTES)
      throw new MalformedBodyError('an error event is too large')
    this.errorData.push(bytes)
  }
}
