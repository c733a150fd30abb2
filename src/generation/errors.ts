/** Classifies anything thrown while a generation runs as a public failure. */
import { GatewayError } from '../errors'
import { OversizePayloadError, UpstreamStalledError } from '../stream/idle-read'
import { MalformedBodyError } from '../upstream/json-images'

export function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error
  if (error instanceof MalformedBodyError || error instanceof OversizePayloadError) {
    return new GatewayError({ kind: 'upstream_unavailable', cause: 'malformed' })
  }
  if (error instanceof UpstreamStalledError) {
    return new GatewayError({ kind: 'upstream_unavailable', cause: 'timeout' })
  }
  // A read that failed mid-body: the upstream connection broke.
  return new GatewayError({ kind: 'upstream_unavailable', cause: 'network' })
}
