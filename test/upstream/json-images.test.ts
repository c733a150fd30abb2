/** The incremental Images JSON reader: same result whatever the chunking, one image at a time. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type JsonImagesItem,
  MalformedBodyError,
  readJsonImages,
} from '../../src/upstream/json-images'

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    },
  })
}

async function readAll(chunks: string[]): Promise<JsonImagesItem[]> {
  const items: JsonImagesItem[] = []
  for await (const item of readJsonImages(streamOf(chunks), 5_000)) items.push(item)
  return items
}

function split(text: string, cuts: number[]): string[] {
  const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), text.length]
  return points.slice(1).map((end, i) => text.slice(points[i], end))
}

const images = ['iVBORw0KGgoAAAANSUhEUg+/==', 'AAAA/9j/4AAQSkZJRg==', 'UklGRlYAAABXRUJQ']
const body = JSON.stringify({
  created: 1_700_000_000,
  background: 'opaque',
  data: images.map((b64_json) => ({
    b64_json,
    revised_prompt: 'quote " and "b64_json":"x" inside',
  })),
  output_format: 'png',
  usage: { total_tokens: 42 },
})

describe('readJsonImages', () => {
  it('yields every image, then the rest of the body', async () => {
    const items = await readAll([body])
    expect(items.slice(0, 3)).toEqual(images.map((b64, index) => ({ kind: 'image', index, b64 })))
    expect(items[3]).toMatchObject({
      kind: 'end',
      skeleton: { created: 1_700_000_000, output_format: 'png', usage: { total_tokens: 42 } },
    })
  })

  it('gives the same result for any chunking (property)', async () => {
    const expected = await readAll([body])
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 60 }),
        async (cuts) => {
          expect(await readAll(split(body, cuts))).toEqual(expected)
        },
      ),
    )
  })

  it('undoes escaped slashes and tolerates spaces around the colon', async () => {
    const items = await readAll(['{"data":[{"b64_json" :  "ab\\/cd=="}]}'])
    expect(items[0]).toEqual({ kind: 'image', index: 0, b64: 'ab/cd==' })
  })

  it.each([
    ['a body cut inside an image', '{"data":[{"b64_json":"abc'],
    ['a body cut after an image', '{"data":[{"b64_json":"abc"}'],
    ['not JSON', 'Internal Server Error'],
    ['a JSON array', '[1,2]'],
  ])('refuses %s', async (_label, text) => {
    await expect(readAll([text])).rejects.toBeInstanceOf(MalformedBodyError)
  })
})
