/**
 * Hosts that must never be fetched, for tests: every way to write an IPv4 address, and arbitraries
 * of addresses and private names in the spellings a URL parser accepts.
 */
import fc from 'fast-check'

/** Ways to write IPv4 address `n` that URL parsers (and old resolvers) take as that address. */
export function ipv4Spellings(n: number): string[] {
  const [a, b, c, d] = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
  const hex = (x: number) => `0x${x.toString(16)}`
  const octal = (x: number) => `0${x.toString(8)}`
  const group = (x: number) => x.toString(16)
  return [
    `${a}.${b}.${c}.${d}`,
    `${n}`,
    hex(n),
    [a, b, c, d].map(octal).join('.'),
    [a, b, c, d].map(hex).join('.'),
    `${a}.${b}.${(c << 8) | d}`,
    `${a}.${n & 0xffffff}`,
    `${hex(a)}.${octal(b)}.${c}.${hex(d)}`,
    `${a}.${b}.${c}.${d}.`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::ffff:${group(n >>> 16)}:${group(n & 0xffff)}]`,
    `[0:0:0:0:0:ffff:${a}.${b}.${c}.${d}]`,
  ]
}

/** Last labels of names that never lead to the public internet. */
const PRIVATE_SUFFIXES = [
  'localhost',
  'local',
  'internal',
  'home.arpa',
  'localdomain',
  'lan',
  'test',
]

/** A host an edit's URL may not name without an operator's list, in some spelling. */
export const insideHost = fc.oneof(
  fc
    .tuple(fc.nat({ max: 0xffffffff }), fc.nat())
    .map(([n, i]) => ipv4Spellings(n)[i % ipv4Spellings(n).length] as string),
  fc
    .tuple(
      fc.array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/), { maxLength: 3 }),
      fc.constantFrom(...PRIVATE_SUFFIXES),
      fc.boolean(),
    )
    .map(([labels, suffix, dot]) => `${[...labels, suffix].join('.')}${dot ? '.' : ''}`),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
)

/** Upper-cases some of a host's letters: names are case-insensitive. */
export const anyCase = (host: string, seed: number) =>
  [...host].map((c, i) => ((seed >> (i % 30)) & 1 ? c.toUpperCase() : c)).join('')
