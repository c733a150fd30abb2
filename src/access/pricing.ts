/**
 * What a generation costs, in micro-dollars (integers, so balances never drift): estimated
 * before the upstream call to reserve funds, and settled from the usage the upstream returns.
 */
import { capabilitiesOf, parseSize } from '../models'
import type { NormalizedImageRequest } from '../schema/image-request'

/** Output tokens OpenAI bills per 1024×1024 image, by quality; other sizes scale by area. */
const OUTPUT_TOKENS_PER_MEGAPIXEL = { low: 272, medium: 1056, high: 4160 } as const
/** Tokens each streamed partial image adds (the seed: "an additional 100 image output tokens"). */
const TOKENS_PER_PARTIAL_IMAGE = 100

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

/**
 * The most this request can cost: the largest size it allows, `auto` quality as high, a prompt
 * token per character. Reserved before the call, so concurrent requests can't overspend.
 */
export function estimateCost(request: NormalizedImageRequest): number {
  const caps = capabilitiesOf(request.model)
  const size = parseSize(request.size === 'auto' ? largestSize(request) : request.size) ?? {
    width: 1024,
    height: 1024,
  }
  const quality = request.quality === 'auto' ? 'high' : request.quality
  const perImage = Math.ceil(
    (OUTPUT_TOKENS_PER_MEGAPIXEL[quality] * size.width * size.height) / 1_048_576,
  )
  const output = request.n * (perImage + TOKENS_PER_PARTIAL_IMAGE * request.partial_images)
  return Math.ceil(request.prompt.length * caps.prices.textInput + output * caps.prices.imageOutput)
}

function largestSize(request: NormalizedImageRequest): string {
  const rule = capabilitiesOf(request.model).sizes
  if (rule.kind === 'fixed') return rule.sizes.reduce((a, b) => (area(b) > area(a) ? b : a))
  return '3840x2160'
}

function area(size: string): number {
  const parsed = parseSize(size)
  return parsed ? parsed.width * parsed.height : 0
}

export const usd = (micros: number) => Math.round(micros) / MICROS_PER_USD
