/**
 * What the demo upstream makes of a request: `auto` values resolved as the real API reports them,
 * the usage it reports, and the formats it refuses.
 */
import { capabilitiesOf, imageOutputTokens, PARTIAL_IMAGE_TOKENS, parseSize } from '../models'
import { type AnswerSpec, errorAnswer } from './answers'
import { type DemoFormat, isDemoFormat } from './encode'
import type { DemoRequest } from './request'

/** What the demo resolves `auto` values to, as the real API reports them back. */
export interface Resolved {
  width: number
  height: number
  size: string
  quality: 'low' | 'medium' | 'high'
  background: 'opaque' | 'transparent'
  format: DemoFormat
}

/** `auto` resolved; `autoSize` is what size `auto` means here (an edit: the input's shape). */
export function resolve(req: DemoRequest, format: DemoFormat, autoSize?: string): Resolved {
  const size = req.size === 'auto' ? (autoSize ?? capabilitiesOf(req.model).defaultSize) : req.size
  const { width, height } = parseSize(size) ?? { width: 1024, height: 1024 }
  const quality = req.quality === 'auto' ? 'medium' : req.quality
  const background = req.background === 'transparent' ? 'transparent' : 'opaque'
  return { width, height, size, quality, background, format }
}

/** What the answer says besides its images; `imageTokens` are an edit's input pictures'. */
export function answerSpec(req: DemoRequest, r: Resolved, imageTokens = 0): AnswerSpec {
  const perImage = imageOutputTokens(req.model, r.quality, r.width * r.height)
  const text = Math.ceil(req.prompt.length / 4)
  const output = req.n * (perImage + PARTIAL_IMAGE_TOKENS * req.partial_images)
  const input = text + imageTokens
  return {
    kind: req.kind,
    n: req.n,
    partialImages: req.stream ? req.partial_images : 0,
    size: r.size,
    quality: r.quality,
    background: r.background,
    format: r.format,
    usage: {
      input_tokens: input,
      input_tokens_details: { image_tokens: imageTokens, text_tokens: text },
      output_tokens: output,
      total_tokens: input + output,
    },
  }
}

/** Refuses an output format the demo cannot encode, or returns it. */
export function demoFormat(req: DemoRequest): DemoFormat | Response {
  if (isDemoFormat(req.output_format)) return req.output_format
  return errorAnswer(
    `The demo generator cannot encode ${req.output_format}.`,
    'output_format',
    'unsupported_value',
  )
}
