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

/** Micro-dollars for a usage report of a model. */
export function costOf(
  model: NormalizedImageRequest['model'],
  usage: Record<string, unknown> | undefined,
): number {
  const prices = capabilitiesOf(model).prices
  const input = typeof usage?.input_tokens === 'number' ? usage.input_tokens : 0
  const output = typeof usage?.output_tokens === 'number' ? usage.output_tokens : 0
  return Math.ceil(input * prices.textInput + output * prices.imageOutput)
}

const encoder = new TextEncoder()

/**
 * The most this request can cost: the largest size it allows, `auto` quality as high, every
 * partial image, and a prompt token per UTF-8 byte of the prompt (a byte-level tokenizer never
 * makes more, whatever the script: CJK and emoji take 3–4 bytes). Reserved before the call, so
 * concurrent requests can't overspend.
 */
export function estimateCost(request: NormalizedImageRequest): number {
  const caps = capabilitiesOf(request.model)
  const pixels = request.size === 'auto' ? largestPixels(request.model) : pixelsOf(request.size)
  const quality = request.quality === 'auto' ? 'high' : request.quality
  const perImage = imageOutputTokens(request.model, quality, pixels)
  const output = request.n * (perImage + PARTIAL_IMAGE_TOKENS * request.partial_images)
  const input = encoder.encode(request.prompt).length
  return Math.ceil(input * caps.prices.textInput + output * caps.prices.imageOutput)
}

export const usd = (micros: number) => Math.round(micros) / MICROS_PER_USD
