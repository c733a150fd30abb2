/**
 * Fan-out of one generation's messages to every request waiting for it. A request that joins
 * late first gets what it missed: the start, the latest partial image, and every finished image
 * (as a reference to its stored copy, not its bytes, so the owner's memory stays small).
 * A slow or departed subscriber never holds the generation up.
 */
import { createPushStream, type PushStream } from '../stream/push-stream'
import { encodeMessage, type WireMessage } from './wire'

export class Broadcast {
  private readonly history: WireMessage[] = []
  private readonly subscribers = new Set<PushStream>()
  private closed = false

  /** Sends a message to every subscriber and keeps what late joiners need. */
  publish(message: WireMessage): void {
    const bytes = encodeMessage(message)
    for (const subscriber of this.subscribers) void subscriber.write(bytes)
    this.remember(message)
  }

  /** Ends every subscriber's stream. */
  close(): void {
    this.closed = true
    for (const subscriber of this.subscribers) subscriber.close()
    this.subscribers.clear()
  }

  /** A new subscriber's stream: history first, then live messages. */
  subscribe(): ReadableStream<Uint8Array> {
    const stream = createPushStream()
    for (const message of this.history) void stream.write(encodeMessage(message))
    if (this.closed) stream.close()
    else this.subscribers.add(stream)
    return stream.body
  }

  private remember(message: WireMessage): void {
    if (message.t !== 'event') {
      this.history.push(message)
      return
    }
    const { event } = message
    if (event.kind === 'passthrough') {
      // Only the newest partial image is worth replaying; older ones are superseded.
      const previous = this.history.findIndex(
        (m) => m.t === 'event' && m.event.kind === 'passthrough',
      )
      if (previous >= 0) this.history.splice(previous, 1)
      this.history.push(message)
    } else if (event.kind === 'image') {
      this.history.push({ t: 'event', event: { ...event, b64: '', completedData: null } })
    } else {
      this.history.push(message)
    }
  }
}
