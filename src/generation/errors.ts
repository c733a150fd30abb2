/** Classifies anything thrown while a generation runs as a public failure. */
import { GatewayError } from '../errors'
import type { Failure } from '../failure'
import { UpstreamDeadlineError, UpstreamStalledError } from '../stream/chunk-reader'
import { MalformedBodyError } from '../stream/malformed'

/** `answering`: the upstream had begun its answer (so a broken read means it stopped mid-way). */
export function failureOf(error: unknown, answering: boolean): Failure {
  if (error instanceof GatewayError) return error.failure
  if (error instanceof MalformedBodyError)
    return { kind: 'upstream_unavailable', cause: 'malformed' }
  if (error instanceof UpstreamStalledError || error instanceof UpstreamDeadlineError) {
    return { kind: 'upstream_unavailable', cause: 'timeout' }
  }
  // A read that failed mid-body: the connection broke after the upstream began to answer.
  if (answering) return { kind: 'upstream_unavailable', cause: 'interrupted' }
  return { kind: 'internal' }
}
