/** Whether a request asks for a fresh result instead of the cached one (RFC 9111 request directives). */

/** `Cache-Control: no-cache` (or no-store) asks for a fresh generation that replaces the entry. */
export function wantsFreshResult(cacheControl: string | undefined): boolean {
  return /(^|,)\s*no-(cache|store)\s*(,|$|=)/i.test(cacheControl ?? '')
}
