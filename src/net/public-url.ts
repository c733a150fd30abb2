/**
 * Which URLs the gateway may fetch or call for a client (edit pictures; webhooks reuse it): https
 * on a public DNS name, judged on the URL as fetch parses it (WHATWG), or a host the operator
 * lists. Pure and hand-written: no maintained library judges hosts without a DNS lookup.
 */

/** Why a URL is refused. */
export type UrlRefusal =
  | 'not_a_url'
  | 'scheme'
  | 'userinfo'
  | 'ip_literal'
  | 'private_name'
  | 'own_host'
  | 'not_listed'

export interface UrlPolicy {
  /** The operator's hosts (`*.` for subdomains): null judges by the public rules, empty allows none. */
  readonly hosts: readonly string[] | null
  /** The gateway's own host name (the request's), never reached unless listed. */
  readonly ownHost: string | null
  /** Plain http for listed hosts too (webhooks to an operator's own receiver). */
  readonly httpForListed?: boolean
}

export type UrlVerdict = { ok: true; url: URL } | { ok: false; refusal: UrlRefusal; host: string }

/**
 * Last labels no public name ends in: special-use names (RFC 6761, 6762, 7686, 8375, 9476), ICANN's
 * `internal`, names ICANN will not delegate (`home`, `corp`), and the usual home-router suffixes.
 * `test`, `example` and `invalid` never resolve publicly, but a local resolver may send them home.
 */
const PRIVATE_SUFFIXES = new Set([
  'localhost',
  'local',
  'internal',
  'arpa',
  'localdomain',
  'lan',
  'home',
  'corp',
  'test',
  'example',
  'invalid',
  'onion',
  'alt',
])

/** A host name as DNS means it: lower case, without the root's trailing dot(s). */
export function bareHost(host: string): string {
  return host.toLowerCase().replace(/\.+$/, '')
}

/** Whether `host` is one of `hosts`, a `*.` entry standing for its subdomains. */
export function hostListed(host: string, hosts: readonly string[]): boolean {
  const name = bareHost(host)
  return hosts.some((entry) => {
    const allowed = bareHost(entry)
    return allowed.startsWith('*.') ? name.endsWith(allowed.slice(1)) : name === allowed
  })
}

/**
 * Why a parsed host name is not a public DNS name, or null when it is one. WHATWG parsing has
 * already turned every IPv4 spelling (decimal, hex, octal, short) into dotted form and brackets
 * IPv6; a last label that is a number is an address whatever else it holds.
 */
export function publicHostRefusal(hostname: string): 'ip_literal' | 'private_name' | null {
  const name = bareHost(hostname)
  if (name.startsWith('[') || name.includes(':')) return 'ip_literal'
  const labels = name.split('.')
  const last = labels.at(-1) ?? ''
  if (/^(\d+|0x[0-9a-f]*)$/.test(last)) return 'ip_literal'
  if (labels.length < 2 || labels.includes('')) return 'private_name'
  return PRIVATE_SUFFIXES.has(last) ? 'private_name' : null
}

/** Judges a URL (absolute, or a redirect's Location resolved against `base`) under `policy`. */
export function judgeUrl(input: string | URL, policy: UrlPolicy, base?: URL): UrlVerdict {
  let url: URL
  try {
    url = new URL(input, base)
  } catch {
    return { ok: false, refusal: 'not_a_url', host: '' }
  }
  const host = bareHost(url.hostname)
  const refused = (refusal: UrlRefusal): UrlVerdict => ({ ok: false, refusal, host })
  const listed = policy.hosts !== null && host !== '' && hostListed(host, policy.hosts)
  const http = url.protocol === 'http:' && listed && policy.httpForListed === true
  if (url.protocol !== 'https:' && !http) return refused('scheme')
  if (!host) return refused('not_a_url')
  if (url.username || url.password) return refused('userinfo')
  if (policy.hosts !== null) return listed ? { ok: true, url } : refused('not_listed')
  const notPublic = publicHostRefusal(host)
  if (notPublic) return refused(notPublic)
  if (policy.ownHost && host === bareHost(policy.ownHost)) return refused('own_host')
  return { ok: true, url }
}
