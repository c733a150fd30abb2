/**
 * The request-log row of work with no client waiting (a batch item's attempt, an async job's run):
 * noted by the core as the route's middleware notes a request, merged with the owner's row.
 */
import type { Failure } from '../failure'
import {
  emptyRow,
  failureFields,
  fileName,
  type LogIdentity,
  requestFields,
} from '../log/request-notes'
import type { CacheState, RequestKind, RequestRow } from '../log/row'
import { writeRequests } from '../log/writer'
import type { StoredImage } from '../result/result'
import type { NormalizedImageRequest } from '../schema/image-request'

/** How the work ended, for its row: answered (200), or refused or failed with a status and code. */
export type BackgroundEnd = { failure: Failure | null } | { status: number; code: string }

export class BackgroundRow {
  private readonly row: RequestRow

  constructor(id: string, keyId: string, kind: Extract<RequestKind, 'batch' | 'job'>) {
    this.row = emptyRow({ id, createdAt: Date.now(), keyId, kind })
  }

  /** Who the generation's owner writes the money and pictures for. */
  get identity(): LogIdentity {
    const { id, createdAt, keyId, kind } = this.row
    return { id, createdAt, keyId, kind }
  }

  request(request: NormalizedImageRequest): void {
    Object.assign(this.row, requestFields(request))
  }

  cache(state: Exclude<CacheState, 'HIT'>): void {
    this.row.cache = state
  }

  /** Found in the cache: the pictures, and what they would have cost. */
  hit(images: readonly StoredImage[], savedMicros: number): void {
    this.row.cache = 'HIT'
    this.row.images = images.map(fileName)
    this.row.savedMicros = savedMicros
  }

  /** Writes the row once the work has ended; never rejects. */
  write(db: D1Database | undefined, end: BackgroundEnd): Promise<void> {
    const outcome =
      'status' in end ? end : end.failure ? failureFields(end.failure) : { status: 200, code: null }
    const durationMs = Math.max(0, Date.now() - this.row.createdAt)
    return writeRequests(db, [{ ...this.row, ...outcome, durationMs }])
  }
}
