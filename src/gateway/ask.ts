/** What a route asks of the gateway core, and what it gets back. */

import type { CacheStatus } from '../answer/respond'
import type { AnswerShape } from '../answer/shapes'
import type { Failure } from '../failure'
import type { StoredImage } from '../result/result'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { UpstreamPayload } from '../upstream/payload'

/** What a route asks: the request, what goes upstream with its prompt, and the answer's shape. */
export interface Ask {
  request: NormalizedImageRequest
  payload: UpstreamPayload
  shape: AnswerShape
  /** Skip the cache: generate afresh (paid) and replace the entry. */
  replace: boolean
}

/** What a route gets back: the answer, or (redirect shape) the first image to point at. */
export type Obtained =
  | {
      kind: 'response'
      response: Response
      /** How the generation behind a streamed answer ended, to ask once the answer has (misses). */
      failure?: () => Promise<Failure | null>
      /**
       * The upstream that serves a miss (a pool entry's name, `default`, `demo`), for the
       * operator's logs; null for hits, and when the answer began before an upstream was chosen.
       */
      upstream?: string | null
    }
  | { kind: 'image'; image: StoredImage; cache: CacheStatus }
