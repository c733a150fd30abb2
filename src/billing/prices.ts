/**
 * What a generation costs, in micro-dollars (integers, so balances never drift): estimated
 * before the upstream call to reserve funds, and settled from the usage the upstream returns.
 */
import {
  capabilitiesOf,
  imageOutputTokens,
  largestPixels,
  PARTIAL_IMAGE_TOKENS,
  pixelsOf,
} from '../models'
import type { NormalizedImageRequest } from '../schema/image-request'

export const MICROS_PER_USD = 1_000_000

const count = (value: unknown) => (typeof value === 'number' && value > 0 ? value : 0)

/**
 * Micro-dollars for a usage report of a request. Input tokens are priced as text and image by
 * `input_tokens_details`; without details, an edit's are all priced as image input (the dearer,
 * so nothing goes unbilled), a generation's as text (it has no input picture).
 */
export function costOf(
  request: Pick<NormalizedImageRequest, 'model' | 'edit'>,
  usage: Record<string, unknown> | undefined,
): number {
  const prices = capabilitiesOf(request.model).prices
  const output = count(usage?.output_tokens) * prices.imageOutput
  const details = usage?.input_tokens_details as Record<string, unknown> | undefined
  if (
    details &&
    typeof details === 'object' &&
    ('text_tokens' in details || 'image_tokens' in details)
  ) {
    const input =
      count(details.text_tokens) * prices.textInput +
      count(details.image_tokens) * prices.imageInput
    return Math.ceil(input + output)
  }
  const inputPrice = request.edit ? Math.max(prices.textInput, prices.imageInput) : prices.textInput
  return Math.ceil(count(usage?.input_tokens) * inputPrice + output)
}

const encoder = new TextEncoder()

/**
 * The most this request can cost: the largest size it allows, `auto` quality as high, every
 * partial image, a prompt token per UTF-8 byte of the prompt (a byte-level tokenizer never
 * makes more, whatever the script: CJK and emoji take 3–4 bytes), and for an edit the registry's
 * most image input tokens per input picture at its fidelity. Reserved before the call, so
 * concurrent requests can't overspend.
 */
export function estimateCost(request: NormalizedImageRequest): number {
  const caps = capabilitiesOf(request.model)
  const pixels = request.size === 'auto' ? largestPixels(request.model) : pixelsOf(request.size)
  const quality = request.quality === 'auto' ? 'high' : request.quality
  const perImage = imageOutputTokens(request.model, quality, pixels)
  const output = request.n * (perImage + PARTIAL_IMAGE_TOKENS * request.partial_images)
  const input = encoder.encode(request.prompt).length
  const edit = request.edit
  const pictures = edit ? edit.images.length * caps.inputImageTokens[edit.input_fidelity] : 0
  return Math.ceil(
    input * caps.prices.textInput +
      pictures * caps.prices.imageInput +
      output * caps.prices.imageOutput,
  )
}

export const usd = (micros: number) => Math.round(micros) / MICROS_PER_USD
