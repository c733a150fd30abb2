/** Reading the error an embed's SSE answer ends with, at any chunking, without changing a byte. */
import { describe, expect, it } from 'vitest'
import { watchForError } from '../../src/embed/stream-failure'
import type { PublicError } from '../../src/public-error'

const encoder = new TextEncoder()
const errorFrame = (type: string, message: string) =>
  `event: error\ndata: ${JSON.stringify({ error: { message, type, param: null, code: 'x' } })}\n\n`
const partial = `event: image_generation.partial_image\ndata: {"b64_json":"${'A'.repeat(5000)}"}\n\n`

/** Streams `text` in chunks of `size` bytes through the watcher; its bytes and what it found. */
async function watch(text: string, size: number) {
  const bytes = encoder.encode(text)
  const found: PublicError[] = []
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.byteLength; at += size)
        controller.enqueue(bytes.slice(at, at + size))
      controller.close()
    },
  })
  const passed = await new Response(watchForError(body, (e) => found.push(e))).text()
  return { passed, found }
}

describe('watchForError', () => {
  it.each([7, 100, 4096, 1 << 20])(
    'finds the final error frame in %i-byte chunks and passes every byte',
    async (size) => {
      const text = partial + errorFrame('invalid_request_error', 'Blocked.')
      const { passed, found } = await watch(text, size)
      expect(passed).toBe(text)
      expect(found).toHaveLength(1)
      expect(found[0]).toMatchObject({
        status: 400,
        body: { error: { message: 'Blocked.' } },
        headers: { 'x-should-retry': 'false' },
      })
    },
  )

  it('gives a server error 500, to be retried', async () => {
    const { found } = await watch(errorFrame('server_error', 'Broke.'), 64)
    expect(found[0]).toMatchObject({ status: 500, headers: { 'x-should-retry': 'true' } })
  })

  it.each([
    ['a stream that ends well', `${partial}event: image_generation.completed\ndata: {}\n\n`],
    ['an error frame that is not the last', `${errorFrame('server_error', 'x')}${partial}`],
    ['an error frame whose data is not an envelope', 'event: error\ndata: {"oops":1}\n\n'],
    ['an error frame whose data is not JSON', 'event: error\ndata: {oops\n\n'],
  ])('finds nothing in %s', async (_label, text) => {
    expect((await watch(text, 50)).found).toEqual([])
  })
})
