/**
 * A request's log row as its handling learns it: the route notes the request, the core its cache
 * state and a hit's pictures, and the row is written once the answer is known. When a generation's
 * owner answered, the owner writes the money, pictures and duration itself (owner-rows).
 */
import type { Failure } from '../failure'
import type { Principal } from '../principal'
import { publicError } from '../public-error'
import type { StoredImage } from '../result/result'
import type { NormalizedImageRequest } from '../schema/image-request'
import { type CacheState, callerKeyId, type RequestKind, type RequestRow } from './row'

/** What a generation's owner needs to write a waiter's row: who it is and when it came. */
export interface LogIdentity {
  id: string
  createdAt: number
  keyId: string
  kind: RequestKind
}

/** A row with nothing known yet but who and when. */
export function emptyRow(identity: LogIdentity): RequestRow {
  return {
    ...identity,
    model: null,
    size: null,
    quality: null,
    n: null,
    cache: null,
    status: 0,
    code: null,
    reservedMicros: 0,
    chargedMicros: 0,
    costMicros: 0,
    savedMicros: 0,
    upstream: null,
    durationMs: null,
    ttfbMs: null,
    images: [],
    prompt: null,
  }
}

/** The row's fields a request gives: what was asked. */
export function requestFields(request: NormalizedImageRequest) {
  const { model, size, quality, n, prompt } = request
  return { model, size, quality, n, prompt }
}

/** A stored picture as the log names it: the file the gateway serves. */
export const fileName = (image: StoredImage) => `${image.id}.${image.ext}`

/** The status and code a failure is answered with (its type when it has no code). */
export function failureFields(failure: Failure): { status: number; code: string } {
  const { status, body } = publicError(failure)
  return { status, code: body.error.code ?? body.error.type }
}

export class RequestNotes {
  private readonly row: RequestRow
  /** The owner of a generation answered: its row part comes from there. */
  private byOwner = false

  constructor(id: string, createdAt: number, kind: RequestKind) {
    this.row = emptyRow({ id, createdAt, keyId: 'anonymous', kind })
  }

  /** Who the owner writes for, once the caller is known. */
  identity(principal: Principal): LogIdentity {
    const { id, createdAt, kind } = this.row
    return { id, createdAt, kind, keyId: callerKeyId(principal) }
  }

  request(request: NormalizedImageRequest): void {
    Object.assign(this.row, requestFields(request))
  }

  /** Answered from the cache: the pictures, and what they would have cost. */
  hit(images: readonly StoredImage[], savedMicros: number): void {
    this.row.cache = 'HIT'
    this.row.images = images.map(fileName)
    this.row.savedMicros = savedMicros
  }

  /** Answered by a generation's owner, which writes its own part of the row. */
  owner(cache: Exclude<CacheState, 'HIT'>): void {
    this.row.cache = cache
    this.byOwner = true
  }

  /**
   * The worker's row once the answer began, or null when there is none to keep: an embed visit
   * that generated nothing (hits and refusals of public URLs would be a row per page view).
   */
  answered(principal: Principal, status: number, failure: Failure | null, at: number) {
    const row: RequestRow = { ...this.row, keyId: callerKeyId(principal), status }
    if (row.kind === 'embed' && !this.byOwner) return null
    const elapsed = Math.max(0, at - row.createdAt)
    if (failure) Object.assign(row, failureFields(failure))
    else row.ttfbMs = elapsed
    // Until the answer began; the owner's row runs to the generation's end, and the longer stays.
    row.durationMs = elapsed
    return row
  }
}
