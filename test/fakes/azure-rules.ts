/**
 * What the fake Azure resource refuses, and how Azure words it: unknown and DALL·E-only fields,
 * a model name on the classic route, webp, sizes outside the documented three; and the three
 * content-filter answers seen from Azure (research notes §1.3, §1.4).
 */
import type { ModelId } from '../../src/models'

const SIZES = ['auto', '1024x1024', '1024x1536', '1536x1024']
const FIELDS = ['prompt', 'n', 'size', 'quality', 'output_format', 'output_compression']
const MORE = ['background', 'stream', 'partial_images', 'user', 'input_fidelity']

/** Azure's error envelope. */
export const azureError = (
  status: number,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
) => Response.json({ error: body }, { status, headers })

/** Azure's checks of a gpt-image request's fields: a 400 as Azure words it, or null. */
export function azureRefusal(
  body: Record<string, unknown>,
  model: ModelId,
  classic: boolean,
  edit: boolean,
): Response | null {
  for (const name of Object.keys(body)) {
    const known =
      FIELDS.includes(name) ||
      MORE.includes(name) ||
      (name === 'model' && !classic) ||
      (name === 'model' && classic && body.model === model) ||
      (name === 'moderation' && !classic)
    if (name === 'model' && classic && body.model !== model) {
      return azureError(400, {
        code: 'invalid_value',
        param: 'model',
        type: 'image_generation_user_error',
        message: `The model '${String(body.model)}' does not exist.`,
      })
    }
    if (!known || (name === 'input_fidelity' && (!edit || model === 'gpt-image-1-mini')))
      return azureError(400, {
        code: 'unknown_parameter',
        param: name,
        message: `Unknown parameter: '${name}'.`,
      })
  }
  if (body.output_format === 'webp')
    return azureError(400, {
      code: 'invalid_value',
      param: 'output_format',
      message: 'webp is not supported',
    })
  if (body.size !== undefined && !SIZES.includes(String(body.size)))
    return azureError(400, { code: 'invalid_value', param: 'size', message: 'Invalid size' })
  return null
}

export const CONTENT_FILTER_BODIES = {
  contentFilter: {
    created: 1698435368,
    error: { code: 'contentFilter', message: 'Your task failed as a result of our safety system.' },
  },
  content_policy_violation: {
    error: {
      code: 'content_policy_violation',
      type: 'invalid_request_error',
      message: 'Your request was rejected as a result of our safety system.',
      inner_error: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_results: { jailbreak: { detected: false, filtered: false } },
      },
    },
  },
  moderation_blocked: {
    error: {
      message: 'Your request was rejected by the safety system.',
      type: 'image_generation_user_error',
      param: '',
      code: 'moderation_blocked',
    },
  },
}
