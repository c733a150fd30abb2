/**
 * Where an edit's input pictures live while needed: `inputs/{upload}/{n}`, written in parts by the
 * worker, read back by the generation's owner, and let go of in one way (`releaseInputs`).
 */
import { IMAGE_TYPES, type ImageExt } from '../result/result'
import { PartWriter } from './part-writer'
import { randomId } from './store'

export class InputStore {
  /** One upload (a request's pictures) shares a random prefix. */
  readonly upload = randomId()

  constructor(private readonly bucket: R2Bucket) {}

  /** A writer for picture `index`, holding one part in memory at a time. */
  writer(index: number, ext: ImageExt): PartWriter {
    return new PartWriter(this.bucket, `inputs/${this.upload}/${index}`, {
      httpMetadata: { contentType: IMAGE_TYPES[ext] },
      serial: true,
    })
  }

  discard(objects: readonly string[]): Promise<void> {
    return discardInputs(this.bucket, objects)
  }
}

/** An input object's bytes, or null when it is gone. */
export async function openInput(
  bucket: R2Bucket,
  object: string,
): Promise<ReadableStream<Uint8Array> | null> {
  const found = await bucket.get(object)
  return found && 'body' in found ? found.body : null
}

/** Deletes input objects (never throws: a leftover is garbage for a lifecycle rule). */
async function discardInputs(bucket: R2Bucket, objects: readonly string[]): Promise<void> {
  if (objects.length > 0) await bucket.delete([...objects]).catch(() => {})
}

/**
 * An edit's stored pictures once its body is read, passed from the worker to the generation's
 * owner: whoever holds them last lets go of them with `releaseInputs`.
 */
export interface StoredInputs {
  objects: readonly string[]
  /** The operator keeps the pictures of edits whose result is stored (KEEP_EDIT_INPUTS). */
  keep: boolean
}

/**
 * Lets go of an edit's pictures: kept only when the operator keeps them and the stored result's
 * manifest lists them (`listed`), else deleted.
 */
export function releaseInputs(
  bucket: R2Bucket,
  inputs: StoredInputs,
  listed: boolean,
): Promise<void> {
  return inputs.keep && listed ? Promise.resolve() : discardInputs(bucket, inputs.objects)
}
