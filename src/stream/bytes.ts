/** Small helpers for bytes: joining them, and writing them as hex or base64url. */

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
  const array = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  return Array.from(array, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Lower-case hex of the SHA-256 of text's UTF-8: cache keys, key secrets, embed URLs. */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

/** Unpadded base64url of bytes: random key text, signatures. */
export function base64Url(bytes: ArrayBuffer | Uint8Array): string {
  let binary = ''
  for (const byte of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))
    binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}
