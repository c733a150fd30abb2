/**
 * The JSON form of an edit as it streams in: each `image_url` taken out as it arrives (data: URLs
 * decoded in slices into an InputWriter, https URLs kept to fetch once the document is valid), the
 * small rest parsed at the end, with a marker where each URL was.
 */
import type { InputStore } from '../cache/inputs'
import { fail } from '../errors'
import { MAX_INPUT_IMAGE_BYTES, MAX_INPUT_IMAGES, MAX_MASK_BYTES } from '../schema/edit-request'
import { Base64Decoder } from '../stream/base64'
import { JsonImageScanner } from '../stream/json-image-scanner'
import { jsonPositionAt } from '../stream/json-path'
import { MalformedBodyError } from '../stream/malformed'
import { bodyChunks } from './body-chunks'
import { type InputRules, InputWriter, type StoredInput } from './input-writer'
import { MAX_TEXT_BYTES } from './read-multipart'

/** One `image_url` of the document (at `param`): a picture decoded from it, or a URL to fetch. */
export type UrlValue = { param: string } & (
  | { kind: 'data'; stored: Promise<StoredInput> }
  | { kind: 'url'; url: string; index: number; rules: InputRules }
)

export interface JsonEdit {
  /** The document with each image_url replaced by `MARKER + n`, n indexing `values`. */
  document: unknown
  values: UrlValue[]
}

/** Begins each image_url's placeholder: a control character no URL holds. */
export const MARKER = '\u0000'
const MAX_URL_BYTES = 8 * 1024
const MAX_DATA_HEADER = 256
const COMMA = 0x2c

const refuse = (message: string, param: string | null, code = 'invalid_image_url'): never =>
  fail({ kind: 'invalid_request', message, param, code })

/** Where a picture of the document goes, from the path of its image_url. */
function rulesAt(path: (string | number)[]): { index: number; rules: InputRules } {
  const [first, second, third] = path
  if (first === 'images' && typeof second === 'number' && third === 'image_url') {
    if (second >= MAX_INPUT_IMAGES) {
      refuse(
        `Too many images: at most ${MAX_INPUT_IMAGES} may be edited together.`,
        'images',
        'too_many_images',
      )
    }
    const param = `images.${second}.image_url`
    return {
      index: second,
      rules: { maxBytes: MAX_INPUT_IMAGE_BYTES, param, label: `the file at '${param}'` },
    }
  }
  if (first === 'mask' && second === 'image_url' && path.length === 2) {
    const rules = { maxBytes: MAX_MASK_BYTES, param: 'mask.image_url', label: 'the mask' }
    return { index: MAX_INPUT_IMAGES, rules }
  }
  return refuse(
    `image_url is taken only in 'images' and 'mask'.`,
    path.join('.'),
    'unknown_parameter',
  )
}

/**
 * Reads the document (within `timeoutMs`); data: pictures are stored when this resolves (none is
 * when it throws).
 */
export async function readJsonEdit(
  body: ReadableStream<Uint8Array>,
  store: InputStore,
  timeoutMs: number,
): Promise<JsonEdit> {
  const values: UrlValue[] = []
  const pending: Promise<unknown>[] = []
  let current: ValueReader | null = null
  const scanner: JsonImageScanner = new JsonImageScanner(
    {
      imageBegin: () => {
        const { path, repeated } = jsonPositionAt(scanner.skeletonText())
        if (repeated) refuseRepeated(repeated)
        const { index, rules } = rulesAt(path)
        scanner.annotate(`\\u0000${values.length}`)
        current = new ValueReader(store, index, rules, pending)
      },
      base64: (chunk, from, to) => current?.push(chunk, from, to),
      imageEnd: () => {
        if (current) values.push(current.end())
        current = null
      },
    },
    MAX_TEXT_BYTES,
    'image_url',
  )
  try {
    for await (const bytes of bodyChunks(body, timeoutMs)) {
      scanner.push(bytes)
      await Promise.all(pending.splice(0))
    }
    const document = scanner.finish()
    const { repeated } = jsonPositionAt(scanner.skeletonText())
    if (repeated) refuseRepeated(repeated)
    await Promise.all(values.map((value) => (value.kind === 'data' ? value.stored : null)))
    return { document, values }
  } catch (error) {
    await (current as ValueReader | null)?.abort()
    await Promise.allSettled(pending)
    await discardValues(store, values)
    if (error instanceof MalformedBodyError) fail({ kind: 'invalid_json' })
    throw error
  }
}

/**
 * A key given twice in one object: refused rather than read as JSON.parse would (the last one),
 * which would leave the pictures of the others stored for nothing.
 */
function refuseRepeated(path: (string | number)[]): never {
  const name = path.join('.')
  return refuse(`'${name}' is given more than once.`, name, 'invalid_value')
}

/** Deletes the pictures stored from data: URLs. */
export async function discardValues(store: InputStore, values: UrlValue[]): Promise<void> {
  const settled = await Promise.allSettled(values.map((v) => (v.kind === 'data' ? v.stored : null)))
  const objects = settled.flatMap((s) =>
    s.status === 'fulfilled' && s.value ? [s.value.object] : [],
  )
  await store.discard(objects)
}

/** One image_url value as it streams: its head decides whether it is a data: URL or a link. */
class ValueReader {
  private head: number[] = []
  private mode: 'head' | 'data' | 'url' = 'head'
  private writer: InputWriter | null = null
  private decoder: Base64Decoder | null = null

  constructor(
    private readonly store: InputStore,
    private readonly index: number,
    private readonly rules: InputRules,
    private readonly pending: Promise<unknown>[],
  ) {}

  push(chunk: Uint8Array, from: number, to: number): void {
    if (this.mode === 'data') {
      this.decode(chunk, from, to)
      return
    }
    for (let at = from; at < to; at++) {
      const byte = chunk[at] as number
      if (this.mode === 'head' && byte === COMMA && this.isData()) {
        this.startData()
        this.decode(chunk, at + 1, to)
        return
      }
      this.head.push(byte)
      if (this.head.length > (this.isData() ? MAX_DATA_HEADER : MAX_URL_BYTES)) {
        refuse(
          `'${this.rules.param}' is too long for a URL (send the picture as a data: URL or a file).`,
          this.rules.param,
        )
      }
      if (this.mode === 'head' && this.head.length >= 5 && !this.isData()) this.mode = 'url'
    }
  }

  end(): UrlValue {
    if (this.mode === 'data') {
      this.decode(null, 0, 0)
      const stored = (this.writer as InputWriter).finish()
      stored.catch(() => {}) // awaited once the document is read
      return { kind: 'data', param: this.rules.param, stored }
    }
    if (this.isData())
      refuse(`'${this.rules.param}' is a data: URL without data.`, this.rules.param)
    let url = ''
    try {
      url = JSON.parse(`"${String.fromCharCode(...this.head)}"`) as string
    } catch {
      refuse(`'${this.rules.param}' is not a valid string.`, this.rules.param)
    }
    return { kind: 'url', param: this.rules.param, url, index: this.index, rules: this.rules }
  }

  async abort(): Promise<void> {
    this.decoder?.release()
    await this.writer?.abort()
  }

  private isData(): boolean {
    const start = 'data:'
    for (let i = 0; i < Math.min(start.length, this.head.length); i++) {
      if (String.fromCharCode(this.head[i] as number).toLowerCase() !== start[i]) return false
    }
    return true
  }

  private startData(): void {
    const header = String.fromCharCode(...this.head).replaceAll('\\/', '/')
    if (!/^data:[^,;]*(;[^,;]*)*;base64$/i.test(header)) {
      refuse(
        `'${this.rules.param}' must be a base64 data: URL (data:image/png;base64,...).`,
        this.rules.param,
      )
    }
    this.mode = 'data'
    const writer = new InputWriter(this.store, this.index, this.rules)
    this.writer = writer
    this.decoder = new Base64Decoder((bytes, ref) => this.pending.push(writer.write(bytes, ref)))
  }

  /** Decodes base64 into the picture's writer; no chunk: the end of it. */
  private decode(chunk: Uint8Array | null, from: number, to: number): void {
    try {
      if (chunk) this.decoder?.push(chunk, from, to)
      else this.decoder?.finish()
    } catch (error) {
      if (!(error instanceof MalformedBodyError)) throw error
      refuse(`'${this.rules.param}' is not valid base64.`, this.rules.param)
    }
  }
}
