/**
 * Fetches an edit's picture given as an https URL (https redirects only, at most three, each on a
 * host the operator allows), within a time limit and never more bytes than the picture may have,
 * streaming it into its InputWriter.
 */
import { fail } from '../errors'
import { pooledChunks } from '../stream/chunk-reader'
import type { InputWriter, StoredInput } from './input-writer'

export const URL_FETCH_TIMEOUT_MS = 30_000
const MAX_REDIRECTS = 3

const refuse = (message: string, param: string): never =>
  fail({ kind: 'invalid_request', message, param, code: 'invalid_image_url' })

function refuseHost(param: string, host: string, hosts: readonly string[]): never {
  if (hosts.length === 0) {
    refuse(
      `'${param}': this gateway takes pictures as uploads or data: URLs, not https URLs.`,
      param,
    )
  }
  return refuse(
    `'${param}' is on ${host}; this gateway fetches pictures only from ${hosts.join(', ')}.`,
    param,
  )
}

/** Whether `host` is one of `hosts` (null: any), a `*.` entry standing for its subdomains. */
export function hostAllowed(host: string, hosts: readonly string[] | null): boolean {
  if (hosts === null) return true
  const name = host.toLowerCase()
  return hosts.some((allowed) =>
    allowed.startsWith('*.') ? name.endsWith(allowed.slice(1)) : name === allowed,
  )
}

/** `url` as a URL to fetch a picture from; a 400 naming `param` unless https on an allowed host. */
export function allowedUrl(url: string | URL, param: string, hosts: readonly string[] | null): URL {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return refuse(`'${param}' is not a URL: give an https URL or a data: URL.`, param)
  }
  if (target.protocol !== 'https:') {
    refuse(`'${param}' must be an https URL or a data: URL (got ${target.protocol}).`, param)
  }
  if (!hostAllowed(target.hostname, hosts)) refuseHost(param, target.hostname, hosts ?? [])
  return target
}

/**
 * The picture at `url`, stored; a 400 naming `param` when it cannot be had. `hosts`: where
 * pictures may be fetched from (EDIT_IMAGE_URL_HOSTS; null for anywhere, empty for nowhere).
 */
export async function fetchInput(
  url: string,
  writer: InputWriter,
  param: string,
  hosts: readonly string[] | null,
): Promise<StoredInput> {
  const deadline = AbortSignal.timeout(URL_FETCH_TIMEOUT_MS)
  let target = allowedUrl(url, param, hosts)
  try {
    for (let hop = 0; ; hop++) {
      const response = await fetch(target, { redirect: 'manual', signal: deadline }).catch(() =>
        refuse(`The picture at '${param}' could not be fetched.`, param),
      )
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel()
        if (hop >= MAX_REDIRECTS) refuse(`The picture at '${param}' redirects too often.`, param)
        target = allowedUrl(new URL(location, target), param, hosts)
        continue
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel()
        refuse(`The picture at '${param}' could not be fetched (HTTP ${response.status}).`, param)
      }
      for await (const { bytes } of pooledChunks(response.body as ReadableStream<Uint8Array>)) {
        await writer.write(bytes)
      }
      return await writer.finish()
    }
  } catch (error) {
    await writer.abort()
    if (deadline.aborted) {
      refuse(
        `The picture at '${param}' took longer than ${URL_FETCH_TIMEOUT_MS / 1000} s to fetch.`,
        param,
      )
    }
    throw error
  }
}
