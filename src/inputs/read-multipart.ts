/**
 * A multipart edit as it streams in: each `image`/`image[]` part and the mask go through an
 * InputWriter while later parts still arrive, text fields are collected (bounded); a part that
 * breaks a rule stops the upload at once, and on any failure every stored picture is deleted.
 */
import type { InputStore } from '../cache/inputs'
import { fail } from '../errors'
import { MAX_INPUT_IMAGE_BYTES, MAX_INPUT_IMAGES, MAX_MASK_BYTES } from '../schema/edit-request'
import { concat } from '../stream/bytes'
import { MultipartError, MultipartScanner, type PartHead } from '../stream/multipart'
import { bodyChunks } from './body-chunks'
import { InputWriter, type StoredInput } from './input-writer'

/** A stored picture and how it came: its field and filename, to send it upstream the same way. */
export interface Picture {
  field: string
  /** How errors name it: `image`, `mask`, `images.0.image_url`. */
  param: string
  filename: string | null
  stored: StoredInput
}

export interface ReadEdit {
  /** Text fields as sent (JSON form: parsed values), pictures aside. */
  fields: Record<string, unknown>
  images: Picture[]
  mask: Picture | null
}

/** All text fields together: a 32000-character prompt is at most 128 KiB of UTF-8, and the rest. */
export const MAX_TEXT_BYTES = 256 * 1024
const MAX_PARTS = MAX_INPUT_IMAGES + 1 + 32
const IMAGE_FIELDS = ['image', 'image[]']
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

const refuse = (message: string, param: string | null, code: string): never =>
  fail({ kind: 'invalid_request', message, param, code })

/**
 * Reads the body (within `timeoutMs`); every picture is stored when this resolves (and none is
 * when it throws).
 */
export async function readMultipartEdit(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  store: InputStore,
  timeoutMs: number,
): Promise<ReadEdit> {
  const reader = new PartReader(store)
  const scanner = new MultipartScanner(boundary, reader)
  try {
    for await (const bytes of bodyChunks(body, timeoutMs)) {
      scanner.push(bytes)
      await reader.settle()
    }
    scanner.finish()
    return await reader.finish()
  } catch (error) {
    await reader.abort()
    if (error instanceof MultipartError) {
      refuse(`The multipart body is malformed: ${error.message}.`, null, 'invalid_multipart')
    }
    throw error
  }
}

/** The scanner's sink: routes each part to a picture writer or to the text fields. */
class PartReader {
  private readonly images: Promise<Picture>[] = []
  private mask: Promise<Picture> | null = null
  private readonly text = new Map<string, Uint8Array[]>()
  private textBytes = 0
  private parts = 0
  private writer: InputWriter | null = null
  private textParts: Uint8Array[] | null = null
  private head: PartHead | null = null
  private pending: Promise<unknown>[] = []

  constructor(private readonly store: InputStore) {}

  begin(head: PartHead): void {
    if (++this.parts > MAX_PARTS)
      refuse('The multipart body has too many parts.', null, 'invalid_multipart')
    this.head = head
    if (IMAGE_FIELDS.includes(head.name)) {
      const index = this.images.length
      if (index >= MAX_INPUT_IMAGES) {
        refuse(
          `Too many images: at most ${MAX_INPUT_IMAGES} may be edited together.`,
          'image',
          'too_many_images',
        )
      }
      const label = head.name === 'image' && index === 0 ? 'the image' : `image ${index + 1}`
      this.writer = new InputWriter(this.store, index, {
        maxBytes: MAX_INPUT_IMAGE_BYTES,
        param: 'image',
        label,
      })
    } else if (head.name === 'mask') {
      if (this.mask) refuse('Only one mask may be given.', 'mask', 'invalid_value')
      this.writer = new InputWriter(this.store, MAX_INPUT_IMAGES, {
        maxBytes: MAX_MASK_BYTES,
        param: 'mask',
        label: 'the mask',
      })
    } else {
      if (head.filename !== null) {
        refuse(`'${head.name}' takes text, not a file.`, head.name, 'invalid_type')
      }
      if (this.text.has(head.name)) {
        refuse(`'${head.name}' is given more than once.`, head.name, 'invalid_value')
      }
      this.textParts = []
      this.text.set(head.name, this.textParts)
    }
  }

  data(chunk: Uint8Array, from: number, to: number): void {
    if (this.writer) {
      this.pending.push(this.writer.write(chunk.subarray(from, to)))
      return
    }
    this.textBytes += to - from
    if (this.textBytes > MAX_TEXT_BYTES) {
      refuse(
        'The text fields are too long: prompts may be at most 32000 characters.',
        null,
        'invalid_value',
      )
    }
    this.textParts?.push(chunk.slice(from, to))
  }

  end(): void {
    const head = this.head as PartHead
    const writer = this.writer
    this.writer = null
    this.textParts = null
    if (!writer) return
    const param = head.name === 'mask' ? 'mask' : 'image'
    const picture = writer
      .finish()
      .then((stored) => ({ field: head.name, param, filename: head.filename, stored }))
    picture.catch(() => {}) // awaited in settle() or finish()
    this.pending.push(picture)
    if (head.name === 'mask') this.mask = picture
    else this.images.push(picture)
  }

  /** Waits for the writes of the chunk just scanned (its bytes are reused after). */
  async settle(): Promise<void> {
    const pending = this.pending
    this.pending = []
    await Promise.all(pending)
  }

  async finish(): Promise<ReadEdit> {
    await this.settle()
    const fields: Record<string, unknown> = {}
    for (const [name, parts] of this.text) {
      try {
        fields[name] = utf8.decode(concat(parts))
      } catch {
        refuse(`'${name}' is not valid UTF-8 text.`, name, 'invalid_value')
      }
    }
    return {
      fields,
      images: await Promise.all(this.images),
      mask: this.mask ? await this.mask : null,
    }
  }

  /** Deletes whatever was stored, and stops what was being written. */
  async abort(): Promise<void> {
    await this.writer?.abort()
    await Promise.allSettled(this.pending)
    const stored = await Promise.allSettled([...this.images, ...(this.mask ? [this.mask] : [])])
    const objects = stored.flatMap((s) => (s.status === 'fulfilled' ? [s.value.stored.object] : []))
    await this.store.discard(objects)
  }
}
