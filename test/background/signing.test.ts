/**
 * Standard Webhooks signatures, checked by the official openai SDK's `webhooks.unwrap()` and by
 * an independent verifier written from the spec: what we sign verifies, and any change to the
 * body, timestamp or id does not.
 */
import fc from 'fast-check'
import OpenAI, { InvalidWebhookSignatureError } from 'openai'
import { describe, expect, it } from 'vitest'
import { webhookMessage } from '../../src/background/webhooks/message'
import {
  newWebhookSecret,
  secretBytes,
  signatureHeader,
  webhookHeaders,
} from '../../src/background/webhooks/signing'
import { verifyStandardWebhook } from './receiver'

const sdk = (secret: string) => new OpenAI({ apiKey: 'unused', webhookSecret: secret })
const nowSeconds = () => Math.floor(Date.now() / 1000)

/** A webhook-id as we make them: letters, digits, _ and -. */
const webhookId = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/)

describe('webhook secrets', () => {
  it('are whsec_ and the base64 of 32 random bytes, different each time', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()]
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(secretBytes(a)).toHaveLength(32)
    expect(a).not.toBe(b)
  })

  it.each(['mysecret', 'whsec_', 'whsec_not base64!', `whsec_${btoa('too short')}`])(
    'refuses %s',
    (secret) => {
      expect(secretBytes(secret)).toBeNull()
    },
  )
})

describe('signatures', () => {
  it('verify with the openai SDK and return the event as sent', async () => {
    const secret = newWebhookSecret()
    const message = webhookMessage({
      subject: 'batch_0123',
      type: 'image.batch.completed',
      data: { id: 'batch_0123', status: 'completed', total: 3 },
      url: 'https://hooks.example.com/',
      keyId: 'key_1',
    })
    const headers = await webhookHeaders([secret], {
      id: message.id,
      timestamp: nowSeconds(),
      body: message.body,
    })
    const event = (await sdk(secret).webhooks.unwrap(message.body, headers)) as unknown
    expect(event).toEqual({
      id: 'msg_batch_0123_image_batch_completed',
      object: 'event',
      type: 'image.batch.completed',
      created_at: expect.any(Number),
      data: { id: 'batch_0123', status: 'completed', total: 3 },
    })
  })

  it('verify, for any body, id and secret, with the SDK and with the spec; a change fails both', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        webhookId,
        fc.nat({ max: 3 }),
        async (text, id, change) => {
          const secret = newWebhookSecret()
          const body = JSON.stringify({ text })
          const timestamp = nowSeconds()
          const headers = new Headers(await webhookHeaders([secret], { id, timestamp, body }))
          await expect(sdk(secret).webhooks.verifySignature(body, headers)).resolves.toBeUndefined()
          expect(await verifyStandardWebhook(secret, headers, body)).toBe(true)

          let sentBody = body
          if (change === 0) sentBody = JSON.stringify({ text: `${text}x` })
          if (change === 1) headers.set('webhook-timestamp', String(timestamp - 1))
          if (change === 2) headers.set('webhook-id', `${id}x`)
          const otherSecret = change === 3 ? newWebhookSecret() : secret
          await expect(
            sdk(otherSecret).webhooks.verifySignature(sentBody, headers),
          ).rejects.toBeInstanceOf(InvalidWebhookSignatureError)
          expect(await verifyStandardWebhook(otherSecret, headers, sentBody)).toBe(false)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('carry one v1 entry per secret during a rotation; each secret verifies', async () => {
    const [old, fresh] = [newWebhookSecret(), newWebhookSecret()]
    const content = { id: 'msg_1', timestamp: nowSeconds(), body: '{"a":1}' }
    const header = await signatureHeader([old, fresh], content)
    expect(header).toMatch(/^v1,\S+= v1,\S+=$/)
    const headers = new Headers(await webhookHeaders([old, fresh], content))
    for (const secret of [old, fresh]) {
      await expect(sdk(secret).webhooks.unwrap(content.body, headers)).resolves.toEqual({ a: 1 })
      expect(await verifyStandardWebhook(secret, headers, content.body)).toBe(true)
    }
  })

  it('are refused for an id with a dot, a secret that is not whsec_, or no secret', async () => {
    const content = { id: 'msg_1', timestamp: nowSeconds(), body: '{}' }
    const secret = newWebhookSecret()
    await expect(signatureHeader([secret], { ...content, id: 'msg.1' })).rejects.toThrow()
    await expect(signatureHeader(['plain-secret'], content)).rejects.toThrow(/whsec_/)
    await expect(signatureHeader([], content)).rejects.toThrow(/at least one/)
    await expect(signatureHeader([secret], { ...content, timestamp: 1.5 })).rejects.toThrow()
  })
})

describe('webhook messages', () => {
  it('keep a body thin: one over 16 KiB is refused', () => {
    const input = {
      subject: 'job_1',
      type: 'image.job.completed' as const,
      url: 'https://hooks.example.com/',
      keyId: 'key_1',
    }
    expect(() => webhookMessage({ ...input, data: { note: 'x'.repeat(17_000) } })).toThrow(/16384/)
    expect(webhookMessage({ ...input, data: { note: 'x' } }).body.length).toBeLessThan(300)
  })

  it('name the same event about the same subject with the same webhook-id', () => {
    const input = {
      subject: 'job_1',
      type: 'image.job.failed' as const,
      url: 'https://hooks.example.com/',
      keyId: 'key_1',
      data: {},
    }
    expect(webhookMessage(input).id).toBe(webhookMessage({ ...input, now: 5 }).id)
    expect(() => webhookMessage({ ...input, subject: 'job.1' })).toThrow()
  })
})
