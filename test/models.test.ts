import { describe, expect, it } from 'vitest'
import { MODEL_IDS, MODELS, parseSize, sizeProblem } from '../src/models'

describe('model registry', () => {
  it('lists the four seed models, gpt-image-1 first (the default)', () => {
    expect(MODEL_IDS).toEqual(['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2'])
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
