/**
 * How many variants a picture can have, and which are not variants at all: at full width (no
 * width, or one at or above the picture's) its own format is the original itself, never
 * re-encoded, and another format is one full-width variant; the API document states the code's count.
 */
import { describe, expect, it } from 'vitest'
import api from '../../docs/api.md?raw'
import {
  MAX_VARIANTS,
  VARIANT_FORMATS,
  VARIANT_WIDTHS,
  type VariantFormat,
} from '../../src/cache/variants'
import { sha256 } from '../helpers/edits'
import { callGateway, ENVS, generate, settled } from '../helpers/gateway'
import { countingBucket, storedKeys } from '../helpers/r2'

/** A demo picture (1024×1024 png): its path and its bytes' digest. */
async function picture(prompt: string) {
  const res = await generate({ prompt, response_format: 'url' }, { env: ENVS.demo })
  const { data } = (await res.json()) as { data: { url: string }[] }
  await settled()
  const path = new URL(data[0]?.url ?? '').pathname
  const bytes = new Uint8Array(await (await callGateway(path, { env: ENVS.demo })).arrayBuffer())
  const id = path.split('/').pop()?.split('.')[0] as string
  return { path, digest: await sha256(bytes), id }
}

async function view(path: string, query: string, env: object = ENVS.demo) {
  const res = await callGateway(`${path}?${query}`, { env })
  expect(res.status, query).toBe(200)
  const bytes = new Uint8Array(await res.arrayBuffer())
  return { type: res.headers.get('content-type'), digest: await sha256(bytes) }
}

describe('variants', () => {
  it('in the picture’s own format at full width are the original, binding or not', async () => {
    const { path, digest } = await picture('the original, as it is')
    for (const query of ['format=png', 'width=1024', 'width=2048&format=png']) {
      expect((await view(path, query)).digest, query).toBe(digest)
    }
    const unbound = { ...ENVS.demo, IMAGE_TRANSFORMS: undefined }
    expect((await view(path, 'format=png', unbound)).digest).toBe(digest)
    await settled()
    expect(await storedKeys('variants/')).toEqual([])
    // Kept in this data centre's cache as asked for: a second view reads nothing from R2.
    const { bucket, counts } = countingBucket()
    counts.operations = 0
    expect((await view(path, 'width=2048', { ...ENVS.demo, IMAGES: bucket })).digest).toBe(digest)
    expect(counts.operations).toBe(0)
  })

  it('at or above the picture’s width in another format are one full-width variant', async () => {
    const { path, id } = await picture('one full-width webp')
    for (const query of ['width=1536&format=webp', 'width=2048&format=webp', 'format=webp']) {
      expect((await view(path, query)).type, query).toBe('image/webp')
    }
    await settled()
    expect(await storedKeys('variants/')).toEqual([`variants/${id}-wfull.webp`])
  })

  it('number at most what the API document says, each ladder width below the picture’s in every format', async () => {
    expect(MAX_VARIANTS).toBe(31)
    expect(api).toContain(`at most ${MAX_VARIANTS}`)
    const { path, id } = await picture('every variant of a 1024 px picture')
    const formats = Object.keys(VARIANT_FORMATS) as VariantFormat[]
    for (const width of [undefined, ...VARIANT_WIDTHS]) {
      for (const format of [undefined, ...formats]) {
        const query = new URLSearchParams()
        if (width) query.set('width', String(width))
        if (format) query.set('format', format)
        await view(path, query.toString())
      }
    }
    await settled()
    const below = VARIANT_WIDTHS.filter((width) => width < 1024)
    const expected = [
      ...below.flatMap((width) => formats.map((format) => `variants/${id}-w${width}.${format}`)),
      ...formats.filter((format) => format !== 'png').map((f) => `variants/${id}-wfull.${f}`),
    ]
    expect(await storedKeys('variants/')).toEqual(expected.sort())
  })
})
