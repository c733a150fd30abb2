/**
 * Which upstream answers: the operator's OpenAI-compatible API, or the built-in demo generator
 * when none is set. Both are reached through fetch, so forwarding, retries and errors are one path.
 */

import { DEMO_MAX_INPUT_PIXELS, DEMO_MAX_JPEG_PIXELS, demoMaxPixels } from '../demo/decode-picture'
import { demoFetch } from '../demo/demo-upstream'
import { isDemoFormat } from '../demo/encode'
import { fail } from '../errors'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { UpstreamSettings } from '../settings'

/** An upstream and the fetch-shaped function it is called through. */
export interface UpstreamTarget extends UpstreamSettings {
  fetch: (request: Request) => Promise<Response>
}

/** The callable upstream for settings: the demo generator, or the network. */
export function targetFromSettings(settings: UpstreamSettings): UpstreamTarget {
  if (settings.kind === 'demo') {
    const pacing = { partialIntervalMs: settings.demoPartialIntervalMs }
    return { ...settings, fetch: (request) => demoFetch(request, pacing) }
  }
  // Looked up per call (not captured) so the runtime's fetch, or a test's fake, is used.
  return { ...settings, fetch: (request) => fetch(request) }
}

/**
 * Refuses, with a clear 400, what the chosen upstream cannot do: the demo encodes png and jpeg
 * only, and edits from a png or jpeg first picture of at most the largest output's pixels.
 */
export function assertUpstreamSupports(
  target: UpstreamSettings,
  req: NormalizedImageRequest,
): void {
  if (target.kind !== 'demo') return
  if (!isDemoFormat(req.output_format)) {
    fail({
      kind: 'invalid_request',
      message: `No upstream is configured, and the built-in demo generator cannot encode '${req.output_format}'. Use output_format 'png' or 'jpeg', or ask the operator to configure an upstream.`,
      param: 'output_format',
      code: 'unsupported_value',
    })
  }
  const first = req.edit?.images[0]
  if (
    first &&
    (!isDemoFormat(first.format) || first.width * first.height > demoMaxPixels(first.format))
  ) {
    fail({
      kind: 'invalid_request',
      message: `No upstream is configured, and the built-in demo generator edits png and jpeg pictures only (png up to ${DEMO_MAX_INPUT_PIXELS} pixels, jpeg up to ${DEMO_MAX_JPEG_PIXELS}) (the first image is a ${first.width}x${first.height} ${first.format}). Send such a picture first, or ask the operator to configure an upstream.`,
      param: 'image',
      code: 'unsupported_value',
    })
  }
}
