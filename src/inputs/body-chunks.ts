/**
 * The chunks of a body the gateway reads for a client (a request body, a fetched picture): pooled,
 * under one deadline, a read that fails or outlives it turned into the reader's own failure, and
 * the body cancelled when the loop stops early.
 */
import { fail } from '../errors'
import { pooledChunks } from '../stream/chunk-reader'
import { deadline } from '../stream/deadline'

/**
 * `body`'s chunks (each valid until the next is asked for); a read that fails throws
 * `failed(timedOut)`, `timedOut` telling whether `signal` (the deadline) ended it.
 */
export async function* guardedChunks(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  failed: (timedOut: boolean) => never,
): AsyncGenerator<Uint8Array> {
  const chunks = pooledChunks(body, signal)
  try {
    for (;;) {
      let next: IteratorResult<{ bytes: Uint8Array }>
      try {
        next = await chunks.next()
      } catch {
        return failed(signal.aborted)
      }
      if (next.done) return
      yield next.value.bytes
    }
  } finally {
    // Stopped early: the chunk goes back to the pool, and the rest of the body is not read.
    await chunks.return(undefined)
  }
}

/**
 * A request body's chunks, all read within `timeoutMs` (REQUEST_BODY_TIMEOUT_MS): past it a 408,
 * and a body that breaks off (the client left, or its connection failed) the client's 400.
 */
export async function* bodyChunks(
  body: ReadableStream<Uint8Array>,
  timeoutMs: number,
): AsyncGenerator<Uint8Array> {
  const { signal, clear } = deadline(timeoutMs)
  try {
    yield* guardedChunks(body, signal, (timedOut) =>
      timedOut
        ? fail({ kind: 'request_timeout', timeoutMs })
        : fail({
            kind: 'invalid_request',
            message: 'The request body broke off before its end.',
            param: null,
            code: 'incomplete_body',
          }),
    )
  } finally {
    clear()
  }
}
