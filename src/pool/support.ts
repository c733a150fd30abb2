/**
 * Which pool entries can serve a request, exactly: a request that needs something an upstream
 * cannot do goes only to those that can, and is refused (a 400 naming the parameter) only when
 * none can; it is never silently changed. Azure's limits per the research notes (MS docs).
 */
import type { Failure } from '../failure'
import type { ModelId } from '../models'
import type { PoolEntry } from '../pool-config/entry'
import type { ImageExt } from '../result/result'
import type { NormalizedImageRequest } from '../schema/image-request'
import type { UpstreamPayload } from '../upstream/payload'

/** What routing looks at, from the normalized request and the body that will be sent. */
export interface RequestNeeds {
  model: ModelId
  kind: 'generation' | 'edit'
  /** `n`: images this request makes (what capacity counts). */
  images: number
  size: string
  outputFormat: NormalizedImageRequest['output_format']
  moderation: NormalizedImageRequest['moderation']
  /** The fields the client set, which the upstream body carries. */
  sent: readonly string[]
  /** An edit's pictures' formats (the mask aside: it is always a png). */
  inputFormats: readonly ImageExt[]
}

export function needsOf(request: NormalizedImageRequest, payload: UpstreamPayload): RequestNeeds {
  return {
    model: request.model,
    kind: payload.kind,
    images: request.n,
    size: request.size,
    outputFormat: request.output_format,
    moderation: request.moderation,
    sent:
      payload.kind === 'generation'
        ? Object.keys(payload.fields)
        : payload.fields.map(([name]) => name),
    inputFormats: request.edit?.images.map((image) => image.format) ?? [],
  }
}

/** A parameter an entry cannot serve, and what to tell the client if no entry can. */
export interface Unsupported {
  param: string
  message: string
}

/** Azure's documented sizes for the gpt-image models (it refuses others; gpt-image-2's too). */
const AZURE_SIZES = ['auto', '1024x1024', '1024x1536', '1536x1024']

/** Null when `entry` can serve the request as asked; otherwise the parameter it cannot do. */
export function unsupported(entry: PoolEntry, needs: RequestNeeds): Unsupported | null {
  if (!entry.models.includes(needs.model))
    return { param: 'model', message: `No upstream of this gateway serves ${needs.model}.` }
  if (entry.imagesPerMinute !== null && needs.images > entry.imagesPerMinute) {
    return {
      param: 'n',
      message: `n ${needs.images} is more images than this gateway's upstreams make in a minute for ${needs.model}. Ask for fewer.`,
    }
  }
  if (entry.kind === 'azure') return azureUnsupported(entry, needs)
  return null
}

function azureUnsupported(entry: PoolEntry, needs: RequestNeeds): Unsupported | null {
  // "WEBP images aren't supported in the Azure OpenAI in Microsoft Foundry Models" (how-to).
  if (needs.outputFormat === 'webp') {
    return {
      param: 'output_format',
      message: `output_format 'webp' cannot be made for ${needs.model} by this gateway's upstreams. Use 'png' or 'jpeg'.`,
    }
  }
  if (!AZURE_SIZES.includes(needs.size)) {
    return {
      param: 'size',
      message: `size '${needs.size}' cannot be made for ${needs.model} by this gateway's upstreams. Use ${AZURE_SIZES.slice(1).join(', ')} or auto.`,
    }
  }
  // The classic api-versions have no `moderation`; only `auto` (the default) can be left out.
  if (
    entry.apiVersion !== 'v1' &&
    needs.sent.includes('moderation') &&
    needs.moderation !== 'auto'
  ) {
    return {
      param: 'moderation',
      message: `moderation '${needs.moderation}' cannot be applied by this gateway's upstreams. Remove it or use 'auto'.`,
    }
  }
  // "input_fidelity … not supported by the gpt-image-1-mini model" (MS docs).
  if (needs.sent.includes('input_fidelity') && needs.model === 'gpt-image-1-mini') {
    return {
      param: 'input_fidelity',
      message: `input_fidelity cannot be sent for ${needs.model} to this gateway's upstreams. Remove it.`,
    }
  }
  // Edits take png and jpg pictures ("PNG or JPG", MS docs).
  if (needs.inputFormats.some((format) => format !== 'png' && format !== 'jpeg')) {
    return {
      param: 'image',
      message: `Edits with ${needs.model} through this gateway's upstreams take png and jpeg pictures only. Convert the webp picture first.`,
    }
  }
  return null
}

/** The 400 for a request no entry of a pool can serve as asked; null when some can. */
export function poolRefusal(
  entries: readonly PoolEntry[],
  request: NormalizedImageRequest,
  payload: UpstreamPayload,
): Failure | null {
  const routed = eligibleEntries(entries, needsOf(request, payload))
  return 'refused' in routed ? routed.refused : null
}

/**
 * The entries that can serve the request, in the operator's order; or the 400 for the first
 * reason, preferring an entry that serves the model (its reason is the one the client can fix).
 */
export function eligibleEntries(
  entries: readonly PoolEntry[],
  needs: RequestNeeds,
): { eligible: PoolEntry[] } | { refused: Failure } {
  const eligible: PoolEntry[] = []
  let reason: Unsupported | null = null
  for (const entry of entries) {
    const problem = unsupported(entry, needs)
    if (!problem) eligible.push(entry)
    else if (!reason || (reason.param === 'model' && problem.param !== 'model')) reason = problem
  }
  if (eligible.length > 0 || !reason) return { eligible }
  return {
    refused: {
      kind: 'invalid_request',
      message: reason.message,
      param: reason.param,
      code: 'unsupported_value',
    },
  }
}
