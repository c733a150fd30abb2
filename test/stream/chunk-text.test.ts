/** ChunkText finds the same positions as Uint8Array.prototype.indexOf, ASCII or not (property). */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChunkText } from '../../src/stream/chunk-text'

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 200_000 }),
  fc.string({ unit: 'grapheme', maxLength: 50_000 }).map((s) => new TextEncoder().encode(s)),
)

describe('ChunkText', () => {
  it('finds each ASCII byte where indexOf does, in any range (property)', () => {
    fc.assert(
      fc.property(
        bytes,
        fc.nat(),
        fc.nat(),
        fc.constantFrom(0x0a, 0x0d, 0x22, 0x41),
        (b, x, y, byte) => {
          const from = b.length ? x % b.length : 0
          const to = from + (b.length - from ? y % (b.length - from + 1) : 0)
          const expected = b.subarray(from, to).indexOf(byte)
          expect(new ChunkText(b).indexOf(byte, from, to)).toBe(expected < 0 ? -1 : from + expected)
        },
      ),
      { numRuns: 200 },
    )
  })
})
