/**
 * A job's events for `Accept: text/event-stream`, kept compactly and bounded: numbered from 1 (the
 * SSE `id:`), data as short JSON text holding references (a stored picture's URL), never image
 * bytes. Past the bounds the oldest go, never the last; a client resuming from before the oldest
 * kept is told it missed some.
 */

export const MAX_EVENTS = 50
export const MAX_EVENT_DATA = 4096
export const MAX_EVENTS_BYTES = 64 * 1024
const TYPE_PATTERN = /^[a-z][a-z0-9_.]{0,63}$/

export interface JobEvent {
  id: number
  type: string
  /** JSON text. */
  data: string
  /** ms since the epoch. */
  at: number
}

export interface EventPage {
  events: JobEvent[]
  /** The job has ended: no event follows these. */
  ended: boolean
  /** Events after the one asked for were dropped: the page starts later than asked. */
  gap: boolean
}

/** The events kept, oldest first, and the next id. */
export interface EventLog {
  events: JobEvent[]
  nextId: number
  bytes: number
}

export const newEventLog = (): EventLog => ({ events: [], nextId: 1, bytes: 0 })

/** The event to append, checked: a known shape of name, JSON data within the bound. */
export function checkedEvent(type: string, data: unknown): { type: string; data: string } {
  if (!TYPE_PATTERN.test(type)) throw new RangeError(`'${type}' is not an event name`)
  const text = JSON.stringify(data ?? null)
  if (text.length > MAX_EVENT_DATA)
    throw new RangeError(`event data holds at most ${MAX_EVENT_DATA} characters`)
  return { type, data: text }
}

/** Appends an event (dropping the oldest to keep within bounds) and returns it. */
export function appendEvent(
  log: EventLog,
  event: { type: string; data: string },
  at: number,
): JobEvent {
  const added = { id: log.nextId, type: event.type, data: event.data, at }
  log.nextId += 1
  log.events.push(added)
  log.bytes += added.data.length
  while (
    log.events.length > 1 &&
    (log.events.length > MAX_EVENTS || log.bytes > MAX_EVENTS_BYTES)
  ) {
    const oldest = log.events.shift() as JobEvent
    log.bytes -= oldest.data.length
  }
  return added
}

/**
 * The events after `after` (a Last-Event-ID; null or unreadable for all). An id beyond the
 * newest gives none.
 */
export function eventsAfter(log: EventLog, after: number | null, ended: boolean): EventPage {
  const from = after ?? 0
  const events = log.events.filter((event) => event.id > from)
  const oldest = log.events[0]?.id ?? log.nextId
  return { events, ended, gap: from + 1 < oldest }
}

/** A Last-Event-ID header as an event id; null when absent or not one of ours. */
export function parseLastEventId(header: string | null): number | null {
  if (header === null || !/^\d{1,15}$/.test(header.trim())) return null
  return Number(header.trim())
}
