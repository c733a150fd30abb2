/** The model registry: every entry is consistent, and what the rest of the gateway derives from it. */
import { describe, expect, it } from 'vitest'
import { estimateCost } from '../src/billing/prices'
import {
  DEFAULT_MODEL,
  imageOutputTokens,
  largestPixels,
  MODEL_IDS,
  MODELS,
  parseSize,
  pixelsOf,
  sizeProblem,
} from '../src/models'
import { normalize } from '../src/schema/image-request'

describe('model registry', () => {
  it('lists the four seed models, gpt-image-1 first (the default)', () => {
    expect(MODEL_IDS).toEqual(['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2'])
  })

  it('makes the first model the default', () => {
    expect(DEFAULT_MODEL).toBe(MODEL_IDS[0])
  })

  it('allows transparency on every model except gpt-image-2', () => {
    const transparent = MODEL_IDS.filter((id) => MODELS[id].transparentBackground)
    expect(transparent).toEqual(['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5'])
  })

  it('parses WxH sizes and rejects other text', () => {
    expect(parseSize('1536x1024')).toEqual({ width: 1536, height: 1024 })
    for (const bad of [
      '1024',
      '1024x',
      'x1024',
      '0x1024',
      '1024X1024',
      ' 1024x1024',
      '1024x1024 ',
      '-16x16',
      '1e3x1000',
    ]) {
      expect(parseSize(bad), bad).toBeNull()
    }
  })
})

describe('sizes per model', () => {
  const classic = ['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5'] as const

  it.each(classic)('%s accepts auto and the three fixed sizes only', (model) => {
    for (const size of ['auto', '1024x1024', '1536x1024', '1024x1536'])
      expect(sizeProblem(model, size)).toBeNull()
    for (const size of ['2048x2048', '1024x640', '512x512', '3840x2160']) {
      expect(sizeProblem(model, size)).toContain(
        "Supported values are: 'auto', '1024x1024', '1536x1024', '1024x1536'",
      )
    }
  })

  it.each([
    'auto',
    '1024x1024',
    '1536x1024',
    '1024x1536',
    '2048x2048',
    '2048x1152',
    '3840x2160',
    '2160x3840',
    '1024x640',
    '2496x832',
    '832x2496',
  ])('gpt-image-2 accepts %s', (size) => {
    expect(sizeProblem('gpt-image-2', size)).toBeNull()
  })

  it.each([
    ['1000x1000', 'multiples of 16'],
    ['1008x640', 'between 655,360 and 8,294,400'],
    ['3840x2176', 'between 655,360 and 8,294,400'],
    ['4096x1024', 'longest edge may be at most 3840'],
    ['2528x832', 'aspect ratio may be at most 3:1'],
    ['832x2528', 'aspect ratio may be at most 3:1'],
    ['3856x2160', 'longest edge may be at most 3840'],
    ['big', "expected 'auto' or WIDTHxHEIGHT"],
  ])('gpt-image-2 refuses %s (%s)', (size, reason) => {
    expect(sizeProblem('gpt-image-2', size)).toContain(reason)
  })
})

describe.each(MODEL_IDS)('registry entry %s', (id) => {
  const caps = MODELS[id]

  it('has a default size and presets its own size rule accepts', () => {
    expect(sizeProblem(id, caps.defaultSize)).toBeNull()
    const listed = caps.sizes.kind === 'fixed' ? caps.sizes.sizes : caps.sizes.presets
    expect(listed.length).toBeGreaterThan(0)
    for (const size of listed) expect(sizeProblem(id, size), size).toBeNull()
    for (const size of listed) expect(pixelsOf(size)).toBeLessThanOrEqual(largestPixels(id))
  })

  it('has prices, an output-token table rising with quality, and a release date', () => {
    expect(caps.prices.textInput).toBeGreaterThan(0)
    expect(caps.prices.imageOutput).toBeGreaterThan(0)
    expect(caps.outputTokens.low).toBeLessThan(caps.outputTokens.medium)
    expect(caps.outputTokens.medium).toBeLessThan(caps.outputTokens.high)
    expect(Number.isNaN(Date.parse(`${caps.released}T00:00:00Z`))).toBe(false)
    expect(caps.qualities).toContain('auto')
  })

  it('reserves for size auto what its largest size at high quality costs', () => {
    const request = normalize({ model: id, prompt: 'a fox' })
    const tokens = imageOutputTokens(id, 'high', largestPixels(id))
    expect(estimateCost(request)).toBe(
      Math.ceil(5 * caps.prices.textInput + tokens * caps.prices.imageOutput),
    )
  })
})

describe('derived sizes', () => {
  it('knows gpt-image-2 can make 3840x2160 and the classic models 1536x1024', () => {
    expect(largestPixels('gpt-image-2')).toBe(3840 * 2160)
    expect(largestPixels('gpt-image-1')).toBe(1536 * 1024)
  })

  it('scales output tokens by area from the 1024x1024 table', () => {
    expect(imageOutputTokens('gpt-image-1', 'medium', 1024 * 1024)).toBe(1056)
    expect(imageOutputTokens('gpt-image-2', 'high', 2048 * 2048)).toBe(4 * 4160)
  })
})
