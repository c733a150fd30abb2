/** Cuts bytes into chunks at the given points (taken modulo the length), as a network might. */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [
    ...new Set(cuts.map((cut) => (bytes.length > 1 ? (cut % (bytes.length - 1)) + 1 : 0))),
  ]
    .filter((point) => point > 0 && point < bytes.length)
    .sort((a, b) => a - b)
  const edges = [0, ...points, bytes.length]
  return edges.slice(1).map((end, i) => bytes.slice(edges[i], end))
}

/** A stream of the chunks. */
export function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      controller.close()
    },
  })
}

/** A byte stream of the chunks (read BYOB, as R2 bodies are), one chunk per pull. */
export function byteStreamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  const rest = chunks.filter((chunk) => chunk.length > 0)
  return new ReadableStream({
    type: 'bytes',
    pull(controller) {
      const chunk = rest.shift()
      if (chunk) controller.enqueue(chunk.slice())
      else controller.close()
    },
  })
}
