/** afterPipe: the body passes through byte for byte, and its end is reported as it happened. */
import { describe, expect, it } from 'vitest'
import { afterPipe } from '../../src/stream/after-pipe'

/** A body of `chunks`, then closed, or errored when `fails`. */
function body(chunks: string[], fails = false) {
  const encoder = new TextEncoder()
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      if (fails) controller.error(new Error('the source broke'))
      else controller.close()
    },
  })
}

/** Pipes `source`, collecting what `waitUntil` is given and what `ended` is told. */
function piped(source: ReadableStream<Uint8Array>) {
  const work: Promise<unknown>[] = []
  const endings: boolean[] = []
  const out = afterPipe(
    source,
    (w) => work.push(w),
    async (completed) => {
      endings.push(completed)
    },
  )
  return { out, endings, settled: () => Promise.all(work) }
}

describe('afterPipe', () => {
  it('passes every byte and reports a completed end once the reader has all of it', async () => {
    const { out, endings, settled } = piped(body(['event: a\n', 'data: 1\n\n', 'x'.repeat(70_000)]))
    expect(endings).toEqual([])
    expect(await new Response(out).text()).toBe(`event: a\ndata: 1\n\n${'x'.repeat(70_000)}`)
    await settled()
    expect(endings).toEqual([true])
  })

  it('reports a broken source as not completed, and the reader sees the break', async () => {
    const { out, endings, settled } = piped(body(['half an ev'], true))
    await expect(new Response(out).text()).rejects.toThrow()
    await settled()
    expect(endings).toEqual([false])
  })

  it('reports a reader that left as not completed', async () => {
    const { out, endings, settled } = piped(body(['a', 'b', 'c']))
    await out.cancel('gone')
    await settled()
    expect(endings).toEqual([false])
  })
})
