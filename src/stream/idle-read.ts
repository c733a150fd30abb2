/**
 * Reading an upstream body with an idle deadline: a stream that stops sending (a stalled
 * generation, a half-dead connection) fails after `idleMs` without a byte, instead of holding a
 * generation, its waiters and their reservations forever.
 */

export class UpstreamStalledError extends Error {
  constructor(idleMs: number) {
    super(`no data from the upstream for ${idleMs} ms`)
    this.name = 'UpstreamStalledError'
  }
}

/** The most text one event or one image may hold before the body counts as malformed. */
export const MAX_PAYLOAD_CHARS = 96 * 1024 * 1024

export class OversizePayloadError extends Error {
  constructor() {
    super(`an upstream event or image exceeded ${MAX_PAYLOAD_CHARS} characters`)
    this.name = 'OversizePayloadError'
  }
}

/** `reader.read()`, or an UpstreamStalledError (and a cancelled body) after `idleMs` of silence. */
export async function readWithin<T>(
  reader: ReadableStreamDefaultReader<T>,
  idleMs: number,
): Promise<ReadableStreamReadResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UpstreamStalledError(idleMs)), idleMs)
  })
  try {
    return await Promise.race([reader.read(), stalled])
  } finally {
    clearTimeout(timer)
  }
}
