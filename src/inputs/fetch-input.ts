/**
 * Fetches an edit's pictures given as https URLs: each URL and every redirect hop judged by the
 * URL policy, all of a request's fetches under one deadline, never more bytes than a picture may
 * have; whatever goes wrong on the way is one message, so no answer tells what a target said.
 */
import { fail } from '../errors'
import { judgeUrl, type UrlPolicy, type UrlRefusal } from '../net/public-url'
import { guardedChunks } from './body-chunks'
import type { InputWriter, StoredInput } from './input-writer'

/** All of one request's URL fetches together, redirects and bodies included. */
export const URL_FETCH_TIMEOUT_MS = 30_000
const MAX_REDIRECTS = 3

/** Who may have pictures fetched, and from where. */
export interface UrlInputRules {
  policy: UrlPolicy
  /** False for callers that may not spend (anonymous, publishable keys) with no operator list. */
  callerMayFetch: boolean
}

const refuse = (message: string, param: string): never =>
  fail({ kind: 'invalid_request', message, param, code: 'invalid_image_url' })

/** The one answer for a URL that was tried and did not give a picture, whatever happened. */
const unfetchable = (param: string): never =>
  refuse(
    `The picture at '${param}' could not be fetched (it must answer with the picture within ${URL_FETCH_TIMEOUT_MS / 1000} s for all of the request's URLs, after at most ${MAX_REDIRECTS} redirects to hosts this gateway fetches from).`,
    param,
  )

const PUBLIC_ONLY = 'this gateway fetches pictures only from public host names'

function refusalMessage(refusal: UrlRefusal, param: string, host: string, policy: UrlPolicy) {
  const hosts = policy.hosts ?? []
  switch (refusal) {
    case 'not_a_url':
      return `'${param}' is not a URL: give an https URL or a data: URL.`
    case 'scheme':
      return `'${param}' must be an https URL or a data: URL.`
    case 'userinfo':
      return `'${param}' holds a user name or password: give the picture's URL without them.`
    case 'ip_literal':
      return `'${param}' is on an IP address (${host}); ${PUBLIC_ONLY}.`
    case 'private_name':
      return `'${param}' is on ${host}, which is not a public host name; ${PUBLIC_ONLY}.`
    case 'own_host':
      return `'${param}' is on this gateway's own host: send the picture itself (a file or a data: URL).`
    case 'not_listed':
      return hosts.length === 0
        ? `'${param}': this gateway takes pictures as uploads or data: URLs, not https URLs.`
        : `'${param}' is on ${host}; this gateway fetches pictures only from ${hosts.join(', ')}.`
  }
}

/** `url` as a URL to fetch a picture from; a 400 naming `param` saying why it may not be. */
export function allowedUrl(url: string, param: string, policy: UrlPolicy): URL {
  const verdict = judgeUrl(url, policy)
  if (verdict.ok) return verdict.url
  return refuse(refusalMessage(verdict.refusal, param, verdict.host, policy), param)
}

/** Refuses URL pictures to a caller that may not have them fetched (a 403 naming `param`). */
export function requireUrlCaller(rules: UrlInputRules, param: string): void {
  if (rules.callerMayFetch) return
  fail({
    kind: 'forbidden',
    message: `Pictures by https URL need a secret API key ('${param}'): send the picture as a file or a data: URL instead.`,
    code: 'image_url_not_allowed',
    param,
  })
}

/**
 * The picture at `url` (judged by allowedUrl), stored; a 400 naming `param` when it cannot be
 * had. `signal` is the request's fetch deadline, shared by all its URLs.
 */
export async function fetchInput(
  url: URL,
  writer: InputWriter,
  param: string,
  policy: UrlPolicy,
  signal: AbortSignal,
): Promise<StoredInput> {
  try {
    const body = await openBody(url, param, policy, signal)
    for await (const bytes of guardedChunks(body, signal, () => unfetchable(param))) {
      await writer.write(bytes)
    }
    return await writer.finish()
  } catch (error) {
    await writer.abort()
    throw error
  }
}

/** The body of the answer at `url`, after redirects each judged by `policy`. */
async function openBody(
  url: URL,
  param: string,
  policy: UrlPolicy,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  let target = url
  for (let hop = 0; ; hop++) {
    const response = await fetch(target, { redirect: 'manual', signal }).catch(() =>
      unfetchable(param),
    )
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location && hop < MAX_REDIRECTS) {
      await response.body?.cancel()
      const next = judgeUrl(location, policy, target)
      if (!next.ok) unfetchable(param)
      target = (next as { url: URL }).url
      continue
    }
    if (response.ok && response.body) return response.body
    await response.body?.cancel()
    return unfetchable(param)
  }
}
