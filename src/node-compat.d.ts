// The one Node API the worker uses (nodejs_compat): Buffer, for its native byte-sequence search.
// Declared here so src type-checks against the Workers runtime alone, without Node's globals.
declare module 'node:buffer' {
  export class Buffer extends Uint8Array<ArrayBufferLike> {
    static from(bytes: Uint8Array): Buffer
    static from(buffer: ArrayBufferLike, byteOffset?: number, length?: number): Buffer
    indexOf(value: Uint8Array | number, byteOffset?: number): number
  }
}
