/**
 * A ReadableStream that pulls from an async generator one chunk at a time, so producers run only
 * as fast as the consumer reads (backpressure) and stop when it cancels. `ReadableStream.from`
 * would do this, but it is not in the Workers type definitions, so this is its 15-line stand-in.
 */
export function streamFrom<T>(source: AsyncGenerator<T>): ReadableStream<T> {
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const { done, value } = await source.next()
        if (done) controller.close()
        else controller.enqueue(value)
      },
      async cancel(reason) {
        await source.return(reason)
      },
    },
    { highWaterMark: 0 },
  )
}
