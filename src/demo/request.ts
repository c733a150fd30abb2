/**
 * What the demo makes of a request it is sent, read field by field from the JSON body or the
 * multipart text, as any upstream would: the gateway validated it already, so only what the demo
 * cannot make sense of is refused.
 */
import {
  DEFAULT_MODEL,
  defaultInputFidelity,
  INPUT_FIDELITIES,
  type InputFidelity,
  MODEL_IDS,
  type ModelId,
  QUALITIES,
  type Quality,
} from '../models'
import type { ImageKind } from '../result/events'
import { errorAnswer } from './answers'

/** A request with the API's defaults filled in, as the demo paints it. */
export interface DemoRequest {
  kind: ImageKind
  model: ModelId
  prompt: string
  n: number
  size: string
  quality: Quality
  background: 'auto' | 'opaque' | 'transparent'
  output_format: string
  output_compression: number
  stream: boolean
  partial_images: number
  /** Edits only: how closely to follow the input pictures. */
  input_fidelity: InputFidelity | null
}

const BACKGROUNDS = ['auto', 'opaque', 'transparent'] as const

/** A refusal: the field, and what it must be. */
class Refusal extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message)
  }
}

/** A field's text, or `fallback` when unset; multipart sends text, JSON may send anything. */
function text(fields: Record<string, unknown>, name: string, fallback: string): string {
  const value = fields[name]
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'string') throw new Refusal(name, `'${name}' must be a string.`)
  return value
}

/** One of `choices`, or `fallback` when unset. */
function choice<T extends string>(
  fields: Record<string, unknown>,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = text(fields, name, fallback) as T
  if (choices.includes(value)) return value
  throw new Refusal(name, `'${name}' must be one of ${choices.join(', ')}.`)
}

/** A whole number from `min` to `max` (JSON number or multipart text), or `fallback` when unset. */
function whole(fields: Record<string, unknown>, name: string, range: [number, number, number]) {
  const [min, max, fallback] = range
  const value = fields[name]
  if (value === undefined || value === null) return fallback
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof number === 'number' && Number.isInteger(number) && number >= min && number <= max)
    return number
  throw new Refusal(name, `'${name}' must be a whole number from ${min} to ${max}.`)
}

function read(fields: Record<string, unknown>, kind: ImageKind): DemoRequest {
  const model = choice(fields, 'model', MODEL_IDS, DEFAULT_MODEL)
  const prompt = text(fields, 'prompt', '')
  if (prompt === '') throw new Refusal('prompt', "Missing required parameter: 'prompt'.")
  const format = text(fields, 'output_format', 'png')
  const stream = fields.stream === true || fields.stream === 'true'
  return {
    kind,
    model,
    prompt,
    n: whole(fields, 'n', [1, 10, 1]),
    size: text(fields, 'size', 'auto'),
    quality: choice(fields, 'quality', QUALITIES, 'auto'),
    background: choice(fields, 'background', BACKGROUNDS, 'auto'),
    output_format: format === 'auto' ? 'png' : format,
    output_compression: whole(fields, 'output_compression', [0, 100, 100]),
    stream,
    partial_images: stream ? whole(fields, 'partial_images', [0, 3, 0]) : 0,
    input_fidelity:
      kind === 'edit'
        ? choice(fields, 'input_fidelity', INPUT_FIDELITIES, defaultInputFidelity(model))
        : null,
  }
}

/** The request in `fields`, or the upstream's 400 naming what it cannot take. */
export function demoRequest(fields: unknown, kind: ImageKind): DemoRequest | Response {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    return errorAnswer('The body must be a JSON object.', null, 'invalid_json')
  try {
    return read(fields as Record<string, unknown>, kind)
  } catch (error) {
    if (!(error instanceof Refusal)) throw error
    return errorAnswer(error.message, error.param, 'invalid_value')
  }
}
