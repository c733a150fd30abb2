/**
 * An edit's input pictures as the gateway knows them once stored: digest, size and header facts,
 * never the bytes; part of the normalized request, hence of its cache key, manifest and price.
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
