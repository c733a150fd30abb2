/**
 * Base64 with the runtime's native TC39 methods (Uint8Array.fromBase64 / toBase64), several times
 * faster than node:buffer's polyfill in workerd; they are not in TypeScript's lib yet, hence the
 * small declarations here.
 */
interface NativeBase64 {
  fromBase64(text: string): Uint8Array
}

export function decodeBase64(text: string): Uint8Array {
  return (Uint8Array as unknown as NativeBase64).fromBase64(text)
}

export function encodeBase64(bytes: Uint8Array): string {
  return (bytes as unknown as { toBase64(): string }).toBase64()
}
