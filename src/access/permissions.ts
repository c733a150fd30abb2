/**
 * What a caller may do: the 403 hook point. Today one rule, the deployment's ALLOWED_MODELS;
 * per-key permissions and balances (the access issue) plug in here.
 */
import type { Bindings, Principal } from '../env'
import { fail } from '../errors'
import type { NormalizedImageRequest } from '../schema/image-request'

/** The models this deployment offers, or null for all of them. */
export function allowedModels(env: Bindings): string[] | null {
  const list = (env.ALLOWED_MODELS ?? '')
    .split(',')
    .map((model) => model.trim())
    .filter((model) => model.length > 0)
  return list.length > 0 ? list : null
}

/** Throws a 403 naming what was refused, or returns when the request is allowed. */
export function authorize(env: Bindings, _principal: Principal, req: NormalizedImageRequest): void {
  const models = allowedModels(env)
  if (models && !models.includes(req.model)) {
    fail({
      kind: 'forbidden',
      message: `This gateway does not offer model '${req.model}'. Allowed models: ${models.map((m) => `'${m}'`).join(', ')}.`,
      code: 'model_not_allowed',
      param: 'model',
    })
  }
}
