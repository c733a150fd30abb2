/**
 * The generation owner at its own boundary: the JoinRequest a worker would hand it, managed keys'
 * principals to pay with, and joins made inside the object, in one turn, read to their end.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env as bindings } from 'cloudflare:workers'
import type { AnswerShape } from '../../src/answer/shapes'
import { payerFor } from '../../src/billing/reservations'
import { cacheKey } from '../../src/cache/cache-key'
import type {
  GenerationCoordinator,
  JoinRequest,
  JoinResult,
} from '../../src/generation/coordinator'
import type { Principal } from '../../src/principal'
import { imageRequestSchema, normalize } from '../../src/schema/image-request'
import { settingsOf } from '../../src/settings'
import { sha256Hex } from '../../src/stream/bytes'
import { generationPayload } from '../../src/upstream/payload'
import { FAKE_UPSTREAM_URL } from '../fakes/upstream'
import { ENVS, GATEWAY_URL } from './gateway'
import { createKey } from './keys'

const settings = settingsOf({ ...ENVS.remote })

/** A managed key with `balance_usd`, and the principal the worker would make of it. */
export async function keyWith(balance_usd: number) {
  const { id, key } = await createKey({ name: `k${balance_usd}`, kind: 'secret', balance_usd })
  const principal: Principal = {
    kind: 'managed',
    id,
    ledger: `key:${await sha256Hex(key)}`,
    record: {
      id,
      name: 'k',
      kind: 'secret',
      origins: [],
      permissions: {},
      rateLimitPerMinute: null,
      createdAt: '2026-12-01T00:00:00.000Z',
      revoked: false,
    },
  }
  return { key, principal }
}

/** What the worker hands the owner of `prompt`'s picture for a request by `principal`. */
export async function joinOf(
  prompt: string,
  principal: Principal | null,
  shape: AnswerShape = 'json',
): Promise<JoinRequest> {
  const input = imageRequestSchema.parse({ prompt })
  const request = normalize(input)
  return {
    key: await cacheKey(request, { upstream: FAKE_UPSTREAM_URL, scope: null }),
    request,
    payload: generationPayload(input),
    inputs: { objects: [], keep: false },
    upstream: settings.upstream,
    replace: false,
    shape,
    origin: GATEWAY_URL,
    ttlSeconds: null,
    payer: principal ? payerFor(settings, principal, request) : null,
    keepAliveMs: settings.sseKeepAliveMs,
  }
}

/** The owner (Durable Object) of cache key `key`. */
export function ownerOf(key: string) {
  return bindings.GENERATIONS.get(bindings.GENERATIONS.idFromName(key))
}

export interface Joined {
  result: JoinResult
  /** The answer's body, read to its end (null: the result has none). */
  text: string | null
}

/**
 * Calls `join` on the owner for each request in the same turn, inside the object, reads every
 * answer to its end, then waits until the owner's background work is done.
 */
export async function joinAndRead(joins: JoinRequest[]): Promise<Joined[]> {
  const owner = ownerOf(joins[0]?.key ?? '')
  return runInDurableObject(owner, async (coordinator: GenerationCoordinator) => {
    const results = await Promise.all(joins.map((join) => coordinator.join(join)))
    const joined = await Promise.all(
      results.map(async (result) => ({
        result,
        text:
          result.kind === 'answer' && result.body ? await new Response(result.body).text() : null,
      })),
    )
    await coordinator.background.idle()
    return joined
  })
}

/** `joinAndRead`'s results alone. */
export async function joinTogether(joins: JoinRequest[]): Promise<JoinResult[]> {
  return (await joinAndRead(joins)).map(({ result }) => result)
}

/** How the owner of `key` says generation `id` ended. */
export function failureOf(key: string, id: string) {
  return runInDurableObject(ownerOf(key), (coordinator: GenerationCoordinator) =>
    coordinator.failureOf(id),
  )
}
