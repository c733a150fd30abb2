/**
 * Reads an upstream JSON answer (`{"data":[{"b64_json":…},…],…}`) into generation pieces: each
 * image's base64 passes on in slices as it arrives, and the rest of the answer (its metadata)
 * is parsed when the body ends.
 */
import { MAX_IMAGE_BASE64, MAX_SKELETON_BYTES } from '../result/limits'
import type { Piece } from '../result/pieces'
import { pickMeta } from '../result/result'
import { type ChunkRef, UNPOOLED } from '../stream/buffer-pool'
import { JsonImageScanner } from '../stream/json-image-scanner'
import { MalformedBodyError } from '../stream/malformed'

export class JsonAnswerReader {
  private index = 0
  private base64Bytes = 0
  private ref: ChunkRef = UNPOOLED
  private readonly scanner: JsonImageScanner

  /** `progress` is called on every finished image (it resets the idle deadline). */
  constructor(
    private readonly emit: (piece: Piece) => void,
    private readonly progress: () => void,
  ) {
    this.scanner = new JsonImageScanner(
      {
        imageBegin: () => {
          this.base64Bytes = 0
          this.emit({ kind: 'image-begin', index: this.index, prefix: null })
        },
        base64: (chunk, from, to) => {
          this.base64Bytes += to - from
          if (this.base64Bytes > MAX_IMAGE_BASE64) {
            throw new MalformedBodyError('an image is too large')
          }
          this.emit({ kind: 'base64', bytes: chunk.subarray(from, to), ref: this.ref })
        },
        imageEnd: () => {
          this.emit({ kind: 'image-end', index: this.index++, suffix: null, payload: null })
          this.progress()
        },
      },
      MAX_SKELETON_BYTES,
    )
  }

  /** Whether an image is being passed on right now (a failure now would cut it). */
  get inEvent(): boolean {
    return this.scanner.inBase64
  }

  push(chunk: Uint8Array, ref: ChunkRef = UNPOOLED): void {
    this.ref = ref
    this.scanner.push(chunk)
  }

  finish(): void {
    this.emit({ kind: 'meta', meta: pickMeta(this.scanner.finish()) })
  }
}
