/**
 * A response body the gateway writes into at its own pace, with backpressure: `write` waits
 * while the client has not taken the last few MB, so a slow client never makes the gateway hold
 * a whole answer. When the client leaves, writes become no-ops and `gone` turns true; the
 * producer decides whether to carry on (a paid-for generation does, to store its result).
 */
const encoder = new TextEncoder()

/** How much may wait in the body's queue before `write` pauses: a few images' worth of chunks. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024

export interface PushStream {
  body: ReadableStream<Uint8Array>
  /** Resolves once there is room again (immediately when the client is gone). */
  write(chunk: string | Uint8Array): Promise<void>
  close(): void
  /** Ends the body abruptly, so the client sees a broken answer rather than a truncated one. */
  error(reason: unknown): void
  readonly gone: boolean
}

export function createPushStream(): PushStream {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let gone = false
  let closed = false
  let wake: (() => void) | null = null
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      pull() {
        wake?.()
        wake = null
      },
      cancel() {
        gone = true
        wake?.()
        wake = null
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_BYTES }),
  )
  return {
    body,
    get gone() {
      return gone
    },
    async write(chunk) {
      if (gone || closed) return
      try {
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
      } catch {
        gone = true
        return
      }
      while (!gone && (controller.desiredSize ?? 1) <= 0) {
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    },
    close() {
      if (gone || closed) return
      closed = true
      controller.close()
    },
    error(reason) {
      if (gone || closed) return
      closed = true
      controller.error(reason)
    },
  }
}
