/**
 * Signed embed URLs: HMAC-SHA256 over a canonical query string, so only URLs the operator signed
 * can spend money. Pure Web Crypto, so the `npm run sign` CLI (Node) shares this exact code.
 */
import { VARIANT_FIELDS } from '../../shared/embed-fields.js'
// With its extension: the sign CLI runs this module in Node, which resolves no other way.
import { base64Url } from '../stream/bytes.ts'

/**
 * Query parameters that are not signed: the signature itself, the answer's transport, and how the
 * visitor sees the picture (width, format), none of which spends anything upstream.
 */
const UNSIGNED = new Set<string>(['sig', 'stream', ...VARIANT_FIELDS])

/** The signed text: every other parameter, sorted by name, percent-encoded, joined by `&`. */
export function canonicalQuery(params: URLSearchParams): string {
  const pairs = [...params.entries()].filter(([name]) => !UNSIGNED.has(name))
  pairs.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1))
  return pairs
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&')
}

async function hmacKey(secret: string) {
  const raw = new TextEncoder().encode(secret)
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ])
}

/**
 * The bytes of unpadded base64url text, or null for anything else: a length no encoding has (atob
 * would throw), padding, or spare bits set (so each signature has exactly one spelling).
 */
function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return null
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'))
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0))
  return base64Url(bytes) === text ? bytes : null
}

/** The signature for these parameters. */
async function signParams(secret: string, params: URLSearchParams): Promise<string> {
  const data = new TextEncoder().encode(canonicalQuery(params))
  return base64Url(await crypto.subtle.sign('HMAC', await hmacKey(secret), data))
}

/** Whether `sig` signs these parameters (Web Crypto's verify compares in constant time). */
export async function verifyParams(
  secret: string,
  params: URLSearchParams,
  sig: string,
): Promise<boolean> {
  const signature = fromBase64Url(sig)
  if (!signature) return false
  const data = new TextEncoder().encode(canonicalQuery(params))
  return crypto.subtle.verify('HMAC', await hmacKey(secret), signature, data)
}

/** A complete signed embed URL on `gateway` (e.g. https://img.example.com). */
export async function signedEmbedUrl(
  gateway: string,
  secret: string,
  params: URLSearchParams,
): Promise<string> {
  const signed = new URLSearchParams(params)
  signed.delete('sig')
  signed.set('sig', await signParams(secret, signed))
  return `${gateway.replace(/\/+$/, '')}/v1/images/embed?${signed.toString()}`
}
