/**
 * The byte-level SSE scanner: every event's exact bytes and data, at any chunking, for LF, CRLF
 * and CR line ends; blocks without data dropped; malformed framing refused.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MalformedBodyError } from '../../src/stream/malformed'
import { SseScanner, type SseSink } from '../../src/stream/sse-scanner'
import { splitAt } from '../helpers/chunks'

interface Seen {
  event: string
  raw: string
  data: string
}

const decoder = new TextDecoder()

function scan(chunks: Uint8Array[]): { frames: Seen[]; cut: boolean } {
  const frames: Seen[] = []
  let raw: number[] = []
  let data: number[] = []
  let event = ''
  const sink: SseSink = {
    begin: (type, head) => {
      event = type
      raw = [...head]
      data = []
    },
    raw: (chunk, from, to) => raw.push(...chunk.subarray(from, to)),
    data: (chunk, from, to) => data.push(...chunk.subarray(from, to)),
    dataBreak: () => data.push(0x0a),
    end: () => {
      const text = (b: number[]) => decoder.decode(new Uint8Array(b))
      frames.push({ event, raw: text(raw), data: text(data) })
    },
  }
  const scanner = new SseScanner(sink)
  for (const chunk of chunks) scanner.push(chunk)
  return { frames, cut: scanner.finish() }
}

const bytes = (text: string) => new TextEncoder().encode(text)

/** Events as a server may write them, with the bytes and data a client must see. */
const EVENTS: { text: string; event: string; data: string }[] = [
  { text: 'event: a\ndata: {"x":1}\n\n', event: 'a', data: '{"x":1}' },
  {
    text: ': a comment\nevent: b\r\ndata:two\r\ndata:  lines\r\n\r\n',
    event: 'b',
    data: 'two\n lines',
  },
  { text: 'data: no type\rid: 7\r\r', event: 'message', data: 'no type' },
  { text: 'event: c\ndata\n\n', event: 'c', data: '' },
  {
    text: 'retry: 10\nevent: d\ndata: é ünïcode 🙂\n: inside\n\n',
    event: 'd',
    data: 'é ünïcode 🙂',
  },
]
const NOT_EVENTS = [': keep-alive\n\n', 'event: only-a-type\n\n', '\n', 'id: 3\r\n\r\n']

describe('SseScanner', () => {
  it('gives each event its exact bytes (its whole block), type and data; drops blocks without data', () => {
    const text = [NOT_EVENTS[0], EVENTS[0]?.text, NOT_EVENTS[1], EVENTS[1]?.text].join('')
    const { frames } = scan([bytes(text)])
    expect(frames).toEqual([
      { event: 'a', raw: EVENTS[0]?.text, data: '{"x":1}' },
      { event: 'b', raw: EVENTS[1]?.text, data: 'two\n lines' },
    ])
  })

  it('finds the same events at any chunking, whatever the line ends (property)', () => {
    const streams = fc.array(
      fc.oneof(
        fc.constantFrom(...EVENTS).map((e) => ({ ...e, isEvent: true })),
        fc
          .constantFrom(...NOT_EVENTS)
          .map((text) => ({ text, event: '', data: '', isEvent: false })),
      ),
      { minLength: 1, maxLength: 8 },
    )
    fc.assert(
      fc.property(streams, fc.array(fc.nat(), { maxLength: 30 }), (parts, cuts) => {
        const all = bytes(parts.map((part) => part.text).join(''))
        const { frames, cut } = scan(splitAt(all, cuts))
        // A block ending in CR followed by one starting with LF: that CR LF is one line end.
        const blocks = parts.map((part) => ({ ...part }))
        for (const [i, block] of blocks.entries()) {
          const next = blocks[i + 1]
          if (block.text.endsWith('\r') && next?.text.startsWith('\n')) {
            block.text += '\n'
            next.text = next.text.slice(1)
          }
        }
        const expected = blocks.filter((part) => part.isEvent)
        expect(cut).toBe(false)
        expect(frames).toEqual(expected.map((e) => ({ event: e.event, raw: e.text, data: e.data })))
      }),
    )
  })

  it('strips a leading byte-order mark', () => {
    const { frames } = scan([new Uint8Array([0xef, 0xbb, 0xbf]), bytes('data: x\n\n')])
    expect(frames.map((f) => f.raw)).toEqual(['data: x\n\n'])
  })

  it('reports an event cut off by the end of the stream, and does not deliver it', () => {
    const { frames, cut } = scan([bytes('event: a\ndata: {"x":1}\n\nevent: b\ndata: {"y"')])
    expect(frames).toHaveLength(1)
    expect(cut).toBe(true)
  })

  it('refuses an event type that changes after the data was passed on', () => {
    expect(() => scan([bytes('data: x\nevent: late\n\n')])).toThrow(MalformedBodyError)
  })

  it('refuses endless fields before the data', () => {
    const long = `: ${'x'.repeat(70_000)}\ndata: x\n\n`
    expect(() => scan([bytes(long)])).toThrow(MalformedBodyError)
  })
})
