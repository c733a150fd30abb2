/**
 * The request list's page cursor: the (time, id) of the last row shown, opaque to clients
 * (base64url), so a page never repeats or skips a row even when many share a millisecond.
 */

export interface Cursor {
  createdAt: number
  id: string
}

/** A cursor that does not decode: the route answers it with a 400 naming `before`. */
export class CursorError extends Error {
  constructor() {
    super('Not a cursor this gateway gave out: pass the `next` of a previous page.')
    this.name = 'CursorError'
  }
}

const MAX_CURSOR = 400

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

export function encodeCursor(cursor: Cursor): string {
  return toBase64Url(new TextEncoder().encode(`${cursor.createdAt}:${cursor.id}`))
}

/** The cursor a text encodes, or null when it is not one we made. */
export function parseCursor(text: string): Cursor | null {
  if (text.length > MAX_CURSOR || !/^[A-Za-z0-9_-]*$/.test(text)) return null
  let plain: string
  try {
    const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    plain = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return null
  }
  const match = /^(0|[1-9]\d{0,15}):([\s\S]*)$/.exec(plain)
  if (match?.[1] === undefined || match[2] === undefined) return null
  const createdAt = Number(match[1])
  return Number.isSafeInteger(createdAt) ? { createdAt, id: match[2] } : null
}

/** parseCursor, throwing CursorError. */
export function decodeCursor(text: string): Cursor {
  const cursor = parseCursor(text)
  if (!cursor) throw new CursorError()
  return cursor
}
