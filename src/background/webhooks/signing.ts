/**
 * Standard Webhooks signing (standardwebhooks.com): `whsec_` secrets of 32 random bytes, and the
 * `v1,<base64 HMAC-SHA256 of id.timestamp.body>` signature, so the openai SDK's `webhooks.unwrap()`
 * and any Standard Webhooks library verify what we send. Hand-written on Web Crypto: the reference
 * package signs with a pure-JS SHA-256, and the whole scheme is one HMAC.
 */

const SECRET_PREFIX = 'whsec_'
/** The spec allows 24 to 64 bytes; 32 is what the reference libraries generate. */
const SECRET_BYTES = 32
/** What a webhook-id may hold: the signed content joins parts with '.', so never a dot. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/

const encoder = new TextEncoder()

interface Base64Bytes {
  toBase64(): string
}
interface Base64Static {
  fromBase64(text: string): Uint8Array
}
const toBase64 = (bytes: Uint8Array) => (bytes as unknown as Base64Bytes).toBase64()
const fromBase64 = (text: string) => (Uint8Array as unknown as Base64Static).fromBase64(text)

/** A new secret, `whsec_` and the base64 of 32 random bytes: shown to its key's owner once. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))
}

/** The HMAC key bytes of a `whsec_` secret; null for anything else (we only hand out these). */
export function secretBytes(secret: string): Uint8Array | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null
  try {
    const bytes = fromBase64(secret.slice(SECRET_PREFIX.length))
    return bytes.length >= 24 && bytes.length <= 64 ? bytes : null
  } catch {
    return null
  }
}

/** Whether `id` may be a webhook-id. */
export const isWebhookId = (id: string) => ID_PATTERN.test(id)

export interface SignedContent {
  /** webhook-id: the same on every attempt, the receiver's idempotency key. */
  id: string
  /** webhook-timestamp: this attempt's Unix time in seconds. */
  timestamp: number
  /** The raw body, byte for byte as sent. */
  body: string
}

/**
 * The webhook-signature header value: one `v1,<base64>` per secret, space-separated (several
 * during a rotation; a verifier accepts any one).
 */
export async function signatureHeader(secrets: readonly string[], content: SignedContent) {
  if (!isWebhookId(content.id)) throw new Error('a webhook-id holds letters, digits, _ and - only')
  if (!Number.isSafeInteger(content.timestamp)) throw new Error('a timestamp is whole seconds')
  if (secrets.length === 0) throw new Error('a webhook is signed with at least one secret')
  const data = encoder.encode(`${content.id}.${content.timestamp}.${content.body}`)
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const bytes = secretBytes(secret)
      if (!bytes) throw new Error('a webhook secret is whsec_ and the base64 of 24 to 64 bytes')
      const key = await crypto.subtle.importKey(
        'raw',
        bytes,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      )
      return `v1,${toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, data)))}`
    }),
  )
  return signatures.join(' ')
}

/** The three headers of one attempt, and the content type. */
export async function webhookHeaders(
  secrets: readonly string[],
  content: SignedContent,
): Promise<Record<string, string>> {
  return {
    'content-type': 'application/json',
    'webhook-id': content.id,
    'webhook-timestamp': String(content.timestamp),
    'webhook-signature': await signatureHeader(secrets, content),
  }
}
