/**
 * What a caller may do: the deployment's ALLOWED_MODELS, then a managed key's own permissions
 * (models, and ceilings on n, size and quality). A refusal is a 403 naming what was refused.
 */

import { fail } from '../errors'
import { largestPixels, parseSize, pixelsOf } from '../models'
import type { Principal } from '../principal'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { Settings } from '../settings'

const QUALITY_RANK = { low: 1, medium: 2, high: 3 } as const

function refuse(param: string, code: string, message: string): never {
  fail({ kind: 'forbidden', message, code, param })
}

/** The largest area a size can mean: `auto` may pick the model's largest size. */
function areaOf(req: NormalizedImageRequest): number {
  return req.size === 'auto' ? largestPixels(req.model) : pixelsOf(req.size)
}

/**
 * Whether this caller may force a fresh, paid generation (`Cache-Control: no-cache`): the
 * operator's bootstrap keys, and secret managed keys given the `regenerate` permission. Anyone
 * else asking gets the cached result as usual (a page must not be able to spend on every view).
 */
export function mayRegenerate(principal: Principal): boolean {
  if (principal.kind === 'operator') return true
  return (
    principal.kind === 'managed' &&
    principal.record.kind === 'secret' &&
    principal.record.permissions.regenerate === true
  )
}

/**
 * Whether this caller may have the gateway fetch URLs for it (an edit's https pictures) where the
 * operator lists no hosts: a key that may spend (bootstrap or secret), never an anonymous caller
 * or a publishable key, whose requests anyone can make.
 */
export function mayFetchUrls(principal: Principal): boolean {
  return (
    principal.kind === 'operator' ||
    (principal.kind === 'managed' && principal.record.kind === 'secret')
  )
}

/** Throws a 403 naming what was refused, or returns when the request is allowed. */
export function authorize(
  settings: Settings,
  principal: Principal,
  req: NormalizedImageRequest,
): void {
  const models = settings.allowedModels
  if (models && !models.includes(req.model)) {
    refuse(
      'model',
      'model_not_allowed',
      `This gateway does not offer model '${req.model}'. Allowed models: ${models.map((m) => `'${m}'`).join(', ')}.`,
    )
  }
  if (principal.kind !== 'managed') return
  const { permissions } = principal.record
  if (permissions.models && !permissions.models.includes(req.model)) {
    refuse(
      'model',
      'model_not_allowed',
      `This key may not use model '${req.model}'. Allowed: ${permissions.models.map((m) => `'${m}'`).join(', ')}.`,
    )
  }
  if (permissions.max_n !== undefined && req.n > permissions.max_n) {
    refuse(
      'n',
      'n_not_allowed',
      `This key may make at most ${permissions.max_n} images per request (asked for ${req.n}).`,
    )
  }
  const ceiling = permissions.max_size ? parseSize(permissions.max_size) : null
  if (ceiling && areaOf(req) > ceiling.width * ceiling.height) {
    refuse(
      'size',
      'size_not_allowed',
      `This key may make images up to ${permissions.max_size} (asked for '${req.size}'; 'auto' counts as the largest size).`,
    )
  }
  const quality = req.quality === 'auto' ? 'high' : req.quality
  if (permissions.max_quality && QUALITY_RANK[quality] > QUALITY_RANK[permissions.max_quality]) {
    refuse(
      'quality',
      'quality_not_allowed',
      `This key may use quality up to '${permissions.max_quality}' (asked for '${req.quality}'; 'auto' counts as 'high').`,
    )
  }
}
