/** Small helpers for byte arrays. */

export const encoder = new TextEncoder()

/** Joins byte pieces into one array (the piece itself when there is only one). */
export function concat(pieces: Uint8Array[], length?: number): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array
  const out = new Uint8Array(length ?? pieces.reduce((sum, piece) => sum + piece.length, 0))
  let offset = 0
  for (const piece of pieces) {
    out.set(piece, offset)
    offset += piece.length
  }
  return out
}

/** Lower-case hex of bytes (digests, random ids). */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  return Array.from(view, (b) => b.toString(16).padStart(2, '0')).join('')
}
