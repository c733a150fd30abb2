/**
 * Whether a webhook_url given to us (a batch's, a job's, a key's default) may be called: the same
 * public-host rules as edit image URLs, with the operator's WEBHOOK_URL_HOSTS allowed even when
 * private and over http. Judged when given, and again on every delivery.
 */
import type { Failure } from '../../failure'
import { judgeUrl } from '../../net/public-url'

/** Null when `url` may receive webhooks, else the 400 naming `param`. */
export function webhookUrlRefusal(
  url: string,
  hosts: readonly string[] | null,
  ownHost: string | null,
  param: string,
): Failure | null {
  if (url.length > 2048) return refusal(param, 'it is longer than 2048 characters')
  const verdict = judgeUrl(url, { hosts, ownHost, httpForListed: true })
  if (verdict.ok) return null
  const why =
    verdict.refusal === 'not_listed'
      ? `its host '${verdict.host}' is not in WEBHOOK_URL_HOSTS`
      : `it is not an https URL on a public host (${verdict.refusal})`
  return refusal(param, why)
}

const refusal = (param: string, why: string): Failure => ({
  kind: 'invalid_request',
  param,
  code: 'invalid_webhook_url',
  message: `Invalid '${param}': ${why}.`,
})
