/**
 * Signed embed URLs for tests: an environment with a signing secret, paths signed with it, and a
 * visit to them from the harness's client (or another).
 */

import { signedEmbedUrl } from '../../src/embed/signing'
import type { Bindings } from '../../src/env'
import { callGateway, ENVS, GATEWAY_URL } from './gateway'

export interface VisitOptions {
  env?: Partial<Bindings>
  clientIp?: string | null
}

/** Embeds signed with `secret`, on the remote environment. */
export function embedder(secret: string) {
  const env = { ...ENVS.remote, EMBED_SIGNING_SECRET: secret }
  return {
    env,
    /** The path (and query) of a signed embed URL for these fields. */
    async signed(fields: Record<string, string>): Promise<string> {
      const url = await signedEmbedUrl(GATEWAY_URL, secret, new URLSearchParams(fields))
      return url.slice(GATEWAY_URL.length)
    },
    /** GET `path` as a page's visitor, with the embed environment unless `options.env` says. */
    visit(path: string, options: VisitOptions = {}): Promise<Response> {
      return callGateway(path, { env: options.env ?? env, clientIp: options.clientIp })
    },
  }
}
