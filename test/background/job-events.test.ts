/**
 * A job's event log: ids from 1 in order, bounded in count and bytes with the newest always kept,
 * and resuming after any Last-Event-ID gives exactly the kept events after it, flagged when some
 * it should have had were dropped.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  appendEvent,
  checkedEvent,
  eventsAfter,
  MAX_EVENT_DATA,
  MAX_EVENTS,
  MAX_EVENTS_BYTES,
  newEventLog,
  parseLastEventId,
} from '../../src/background/jobs/job-events'

describe('job events', () => {
  it('are numbered from 1 and resumed after a Last-Event-ID', () => {
    const log = newEventLog()
    for (const type of ['job.queued', 'job.in_progress', 'job.completed']) {
      appendEvent(log, checkedEvent(type, { type }), 7)
    }
    expect(eventsAfter(log, null, true)).toEqual({
      events: [
        { id: 1, type: 'job.queued', data: '{"type":"job.queued"}', at: 7 },
        { id: 2, type: 'job.in_progress', data: '{"type":"job.in_progress"}', at: 7 },
        { id: 3, type: 'job.completed', data: '{"type":"job.completed"}', at: 7 },
      ],
      ended: true,
      gap: false,
    })
    expect(eventsAfter(log, 2, true).events.map((e) => e.id)).toEqual([3])
    expect(eventsAfter(log, 3, true).events).toEqual([])
    expect(eventsAfter(log, 99, false)).toEqual({ events: [], ended: false, gap: false })
  })

  it.each([
    ['', 'a bad name'],
    ['Job.Done', 'capitals'],
    ['job done', 'a space'],
  ])('refuses the event name %j (%s)', (type) => {
    expect(() => checkedEvent(type, {})).toThrow(/not an event name/)
  })

  it(`refuses data over ${MAX_EVENT_DATA} characters`, () => {
    expect(() => checkedEvent('job.progress', 'x'.repeat(MAX_EVENT_DATA))).toThrow(/at most/)
  })

  it.each([
    ['12', 12],
    [' 3 ', 3],
    ['0', 0],
    ['-1', null],
    ['1e3', null],
    ['abc', null],
    ['1234567890123456', null],
    [null, null],
  ])('reads Last-Event-ID %j as %j', (header, id) => {
    expect(parseLastEventId(header)).toBe(id)
  })

  it('keep within bounds for any appends, and resume exactly, for any Last-Event-ID', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: MAX_EVENT_DATA - 2 }), { minLength: 1, maxLength: 120 }),
        fc.option(fc.nat(130), { nil: null }),
        (sizes, after) => {
          const log = newEventLog()
          for (const size of sizes)
            appendEvent(log, checkedEvent('job.progress', 'x'.repeat(size)), 0)
          expect(log.events.length).toBeLessThanOrEqual(MAX_EVENTS)
          const bytes = log.events.reduce((n, e) => n + e.data.length, 0)
          expect(log.bytes).toBe(bytes)
          expect(bytes <= MAX_EVENTS_BYTES || log.events.length === 1).toBe(true)
          expect(log.events.at(-1)?.id).toBe(sizes.length)
          const ids = log.events.map((e) => e.id)
          expect(ids).toEqual(ids.map((_, i) => (ids[0] as number) + i))

          const page = eventsAfter(log, after, false)
          const wanted = Array.from({ length: sizes.length }, (_, i) => i + 1).filter(
            (id) => id > (after ?? 0),
          )
          expect(page.events.map((e) => e.id)).toEqual(wanted.filter((id) => ids.includes(id)))
          expect(page.gap).toBe(wanted.some((id) => !ids.includes(id)))
        },
      ),
    )
  })
})
