/**
 * Which client a request counts against for per-client limits: the address Cloudflare saw, and
 * for IPv6 its /64 (RFC 6177), so one host cannot escape a limit by walking its addresses.
 */

/** The bucket name of a client: `198.51.100.7`, or `2001:db8:1:2::/64`; null without an address. */
export function clientBucket(header: (name: string) => string | undefined): string | null {
  const address = header('cf-connecting-ip')?.trim() ?? ''
  const v4 = ipv4(address)
  if (v4) {
    // Pseudo IPv4 (Overwrite Headers) puts a class E stand-in here and the real address in
    // CF-Connecting-IPv6; only then is that header Cloudflare's own.
    const first = Number(v4.split('.')[0])
    const real = first >= 240 ? ipv6Prefix(header('cf-connecting-ipv6')?.trim() ?? '') : null
    return real ?? v4
  }
  return ipv6Prefix(address)
}

/** A dotted-quad IPv4 address, normalized (no leading zeros); null if it is not one. */
function ipv4(text: string): string | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!match) return null
  const octets = match.slice(1).map(Number)
  return octets.every((octet) => octet <= 255) ? octets.join('.') : null
}

/** The eight 16-bit groups of an IPv6 address (`::` and a trailing IPv4 allowed), or null. */
function ipv6Groups(text: string): number[] | null {
  const halves = text.toLowerCase().split('::')
  if (halves.length > 2) return null
  const parse = (half: string | undefined): number[] | null => {
    if (!half) return []
    const groups: number[] = []
    const parts = half.split(':')
    for (const [index, part] of parts.entries()) {
      const v4 = index === parts.length - 1 ? ipv4(part) : null
      if (v4) {
        const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number)
        groups.push((a << 8) | b, (c << 8) | d)
      } else if (/^[0-9a-f]{1,4}$/.test(part)) groups.push(Number.parseInt(part, 16))
      else return null
    }
    return groups
  }
  const head = parse(halves[0])
  const tail = parse(halves[1])
  if (!head || !tail) return null
  if (halves.length === 1) return head.length === 8 ? head : null
  const missing = 8 - head.length - tail.length
  return missing >= 1 ? [...head, ...Array<number>(missing).fill(0), ...tail] : null
}

/** An IPv6 address's /64 (`2001:db8:1:2::/64`), or the IPv4 address it maps; null if invalid. */
function ipv6Prefix(text: string): string | null {
  const groups = ipv6Groups(text)
  if (!groups) return null
  const [a, b, c, d, e, f, g = 0, h = 0] = groups
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff)
    return [g >> 8, g & 0xff, h >> 8, h & 0xff].join('.')
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`
}
