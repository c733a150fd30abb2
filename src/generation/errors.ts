/** Classifies anything thrown while a generation runs as a public failure. */
import { type Failure, GatewayError } from '../errors'
import { UpstreamDeadlineError, UpstreamStalledError } from '../stream/chunk-reader'
import { MalformedBodyError } from '../stream/malformed'

export function failureOf(error: unknown): Failure {
  if (error instanceof GatewayError) return error.failure
  if (error instanceof MalformedBodyError)
    return { kind: 'upstream_unavailable', cause: 'malformed' }
  if (error instanceof UpstreamStalledError || error instanceof UpstreamDeadlineError) {
    return { kind: 'upstream_unavailable', cause: 'timeout' }
  }
  // A read that failed mid-body: the upstream connection broke.
  return { kind: 'upstream_unavailable', cause: 'network' }
}

export function asGatewayError(error: unknown): GatewayError {
  return error instanceof GatewayError ? error : new GatewayError(failureOf(error))
}
