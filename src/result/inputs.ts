/**
 * An edit's input pictures as the gateway knows them once they have streamed into R2: digest,
 * size and header facts, never the bytes. They are part of the normalized request (and so of the
 * cache key and the manifest) and of what an edit costs.
 */
import type { InputFidelity } from '../models'
import type { ImageExt } from './result'

export interface InputImage {
  /** Hex SHA-256 of the file's bytes. */
  sha256: string
  bytes: number
  format: ImageExt
  width: number
  height: number
}

/** What an edit works from, in the order the client sent the pictures. */
export interface EditInputs {
  images: InputImage[]
  mask: InputImage | null
  /** As asked, or the model's default (high for a model that takes none). */
  input_fidelity: InputFidelity
}
