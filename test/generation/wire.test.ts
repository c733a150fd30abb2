/** The owner-to-worker wire: messages survive any chunking, including megabyte lines. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeMessage, readMessages, type WireMessage } from '../../src/generation/wire'

const messages: WireMessage[] = [
  { t: 'started', upstreamRequestId: 'req_1', upstreamKind: 'remote' },
  {
    t: 'event',
    event: {
      kind: 'passthrough',
      event: 'image_generation.partial_image',
      data: '{"b64_json":"QUJD\\n"}',
    },
  },
  {
    t: 'event',
    event: {
      kind: 'image',
      index: 0,
      b64: 'A'.repeat(300_000),
      stored: { id: 'f'.repeat(32), ext: 'png', bytes: 1 },
      completedData: null,
    },
  },
  { t: 'error', failure: { kind: 'upstream_unavailable', cause: 'network' } },
]

async function readAll(chunks: Uint8Array[]): Promise<WireMessage[]> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      controller.close()
    },
  })
  const out: WireMessage[] = []
  for await (const message of readMessages(body)) out.push(message)
  return out
}

describe('wire messages', () => {
  const bytes = new Uint8Array(messages.flatMap((m) => [...encodeMessage(m)]))

  it('round-trips every kind of message', async () => {
    expect(await readAll([bytes])).toEqual(messages)
  })

  it('reads the same messages whatever the chunk boundaries (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 30 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), bytes.length]
          expect(
            await readAll(points.slice(1).map((end, i) => bytes.slice(points[i], end))),
          ).toEqual(messages)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('images that came as upstream completed events', () => {
  it('travel once, as the completed payload, not also as base64', async () => {
    const completedData = JSON.stringify({
      type: 'image_generation.completed',
      b64_json: 'Q'.repeat(200_000),
    })
    const message: WireMessage = {
      t: 'event',
      event: { kind: 'image', index: 0, b64: 'Q'.repeat(200_000), stored: null, completedData },
    }
    const bytes = encodeMessage(message)
    expect(bytes.byteLength).toBeLessThan(completedData.length + 300)
    expect(await readAll([bytes])).toEqual([
      { t: 'event', event: { kind: 'image', index: 0, b64: '', stored: null, completedData } },
    ])
  })
})
