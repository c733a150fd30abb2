/**
 * The streaming multipart scanner: the same parts, headers and bytes as the runtime's own
 * `formData()` at any chunking (property), including bodies full of near-delimiters; malformed
 * bodies refused.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  boundaryOf,
  MultipartError,
  MultipartScanner,
  type PartHead,
} from '../../src/stream/multipart'
import { splitAt } from '../helpers/chunks'

interface Seen extends PartHead {
  bytes: number[]
}

function scan(boundary: string, chunks: Uint8Array[]): Seen[] {
  const parts: Seen[] = []
  let current: Seen | null = null
  let open = false
  const scanner = new MultipartScanner(boundary, {
    begin: (head) => {
      expect(open).toBe(false)
      open = true
      current = { ...head, bytes: [] }
    },
    data: (chunk, from, to) => current?.bytes.push(...chunk.subarray(from, to)),
    end: () => {
      open = false
      if (current) parts.push(current)
    },
  })
  for (const chunk of chunks) scanner.push(chunk)
  scanner.finish()
  return parts
}

/** A body made by the runtime's FormData, with its boundary. */
async function formBody(form: FormData): Promise<{ bytes: Uint8Array; boundary: string }> {
  const request = new Request('https://x.test/', { method: 'POST', body: form })
  const boundary = boundaryOf(request.headers.get('content-type')) as string
  return { bytes: new Uint8Array(await request.arrayBuffer()), boundary }
}

const text = (bytes: number[]) => new TextDecoder().decode(new Uint8Array(bytes))

describe('MultipartScanner', () => {
  it('reads fields and files as FormData wrote them, at any chunking (property)', async () => {
    const entry = fc.oneof(
      fc.record({ kind: fc.constant('field'), value: fc.string({ maxLength: 300 }) }),
      fc.record({
        kind: fc.constant('file'),
        // Near-delimiters inside the data: CR LF, dashes, the boundary's own start.
        value: fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 400 }),
            fc.constantFrom(...['\r\n', '\r\n--', '\r\n--form', '--', '\r'].map((s) => s)),
          ),
          { maxLength: 20 },
        ),
      }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (entries, cuts) => {
          const form = new FormData()
          const expected: { name: string; bytes: Uint8Array; file: boolean }[] = []
          entries.forEach((e, i) => {
            const name = `f${i}`
            if (e.kind === 'field') {
              form.append(name, e.value as string)
              expected.push({
                name,
                bytes: new TextEncoder().encode(e.value as string),
                file: false,
              })
            } else {
              const pieces = (e.value as (string | Uint8Array)[]).map((p) =>
                typeof p === 'string' ? new TextEncoder().encode(p) : p,
              )
              const bytes = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0))
              let at = 0
              for (const p of pieces) {
                bytes.set(p, at)
                at += p.length
              }
              form.append(name, new File([bytes], `file ${i}.png`, { type: 'image/png' }))
              expected.push({ name, bytes, file: true })
            }
          })
          const body = await formBody(form)
          const parts = scan(body.boundary, splitAt(body.bytes, cuts))
          expect(parts.map((p) => p.name)).toEqual(expected.map((e) => e.name))
          parts.forEach((part, i) => {
            const want = expected[i] as (typeof expected)[number]
            expect(new Uint8Array(part.bytes)).toEqual(want.bytes)
            expect(part.filename).toBe(want.file ? `file ${i}.png` : null)
            if (want.file) expect(part.contentType).toBe('image/png')
          })
        },
      ),
      { numRuns: 150 },
    )
  })

  it('takes a preamble, transport padding, quoted parameters and an epilogue', () => {
    const body = [
      'ignored preamble\r\n',
      '--b1  \r\n',
      'Content-Disposition: form-data; name="image[]"; filename="a \\"b\\".png"\r\n',
      'Content-Type: image/png\r\n\r\n',
      'PNG\r\n',
      '--b1\r\n',
      'content-disposition: form-data; name=prompt\r\n\r\n',
      'a fox\r\n',
      '--b1--\r\nepilogue',
    ].join('')
    const parts = scan('b1', [new TextEncoder().encode(body)])
    expect(parts.map((p) => [p.name, p.filename, p.contentType, text(p.bytes)])).toEqual([
      ['image[]', 'a "b".png', 'image/png', 'PNG'],
      ['prompt', null, null, 'a fox'],
    ])
  })

  it.each([
    ['no closing boundary', '--b1\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'],
    ['a part without a name', '--b1\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b1--'],
    ['a part that is no form-data', '--b1\r\nContent-Type: text/plain\r\n\r\nx\r\n--b1--'],
    ['a boundary followed by junk', '--b1x\r\n'],
    ['headers without end', `--b1\r\n${'x'.repeat(9000)}`],
  ])('refuses %s', (_label, body) => {
    expect(() => scan('b1', [new TextEncoder().encode(body)])).toThrow(MultipartError)
  })

  it('reads the boundary from the content type, quoted or not', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc')
    expect(boundaryOf('Multipart/Form-Data;boundary="a b:c"')).toBe('a b:c')
    expect(boundaryOf('multipart/mixed; boundary=abc')).toBeNull()
    expect(boundaryOf('multipart/form-data')).toBeNull()
    expect(boundaryOf(null)).toBeNull()
  })
})
