/**
 * The URL policy as a table: every spelling of an address, local names, userinfo and the
 * gateway's own host refused by the public rules; listed hosts (private ones too) by the list.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { judgeUrl, type UrlPolicy } from '../../src/net/public-url'
import { ipv4Spellings } from '../helpers/hosts'

const PUBLIC: UrlPolicy = { hosts: null, ownHost: 'img.example.com' }

const refusal = (url: string, policy = PUBLIC, base?: string) => {
  const verdict = judgeUrl(url, policy, base ? new URL(base) : undefined)
  return verdict.ok ? 'ok' : verdict.refusal
}

describe('judgeUrl with no list (public host names only)', () => {
  it.each([
    ['https://127.0.0.1/a.png', 'ip_literal'],
    ['https://2130706433/', 'ip_literal'],
    ['https://0x7f000001/', 'ip_literal'],
    ['https://0177.0.0.1/', 'ip_literal'],
    ['https://127.1/', 'ip_literal'],
    ['https://0x7f.1/', 'ip_literal'],
    ['https://127.0.0.1./', 'ip_literal'],
    ['https://127.0.0.1../', 'ip_literal'],
    ['https://１２７.０.０.１/', 'ip_literal'],
    ['https://0/', 'ip_literal'],
    ['https://0x/', 'ip_literal'],
    ['https://169.254.169.254/latest/meta-data/', 'ip_literal'],
    ['https://10.0.0.1/', 'ip_literal'],
    ['https://8.8.8.8/', 'ip_literal'],
    ['https://[::1]/', 'ip_literal'],
    ['https://[::ffff:127.0.0.1]/', 'ip_literal'],
    ['https://[0:0:0:0:0:ffff:7f00:1]/', 'ip_literal'],
    ['https://[::127.0.0.1]/', 'ip_literal'],
    ['https://[2001:db8::1]:8443/', 'ip_literal'],
    ['https://localhost/', 'private_name'],
    ['https://LOCALHOST./', 'private_name'],
    ['https://%6c%6fcalhost/', 'private_name'],
    ['https://a.b.localhost/', 'private_name'],
    ['https://metadata/', 'private_name'],
    ['https://intranet./', 'private_name'],
    ['https://printer.local/', 'private_name'],
    ['https://metadata.google.internal/', 'private_name'],
    ['https://nas.home.arpa/', 'private_name'],
    ['https://1.0.0.127.in-addr.arpa/', 'private_name'],
    ['https://router.localdomain/', 'private_name'],
    ['https://router.lan/', 'private_name'],
    ['https://nas.home/', 'private_name'],
    ['https://mail.corp/', 'private_name'],
    ['https://app.test/', 'private_name'],
    ['https://www.example/', 'private_name'],
    ['https://x.invalid/', 'private_name'],
    ['https://site.onion/', 'private_name'],
    ['https://name.alt/', 'private_name'],
    ['https://example..com/', 'private_name'],
    ['https://img.example.com/a.png', 'own_host'],
    ['https://IMG.example.com./a.png', 'own_host'],
    ['https://user:pass@example.com/', 'userinfo'],
    ['https://user@example.com/', 'userinfo'],
    ['https://example.com:443@127.0.0.1/', 'userinfo'],
    ['http://example.com/a.png', 'scheme'],
    ['ftp://example.com/a.png', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['a picture', 'not_a_url'],
    ['https://1.2.3.4.5/', 'not_a_url'],
    ['https://[fe80::1%25eth0]/', 'not_a_url'],
    ['https://example.com/a.png', 'ok'],
    ['https://EXAMPLE.com./a.png', 'ok'],
    ['https://cdn.example.com:8443/a.png', 'ok'],
    ['https://127.0.0.1.nip.io/', 'ok'],
    ['https://xn--nxasmq6b.com/', 'ok'],
    ['https://localhost.example.com/', 'ok'],
    ['https://@example.com/', 'ok'],
  ])('%s: %s', (url, expected) => {
    expect(refusal(url)).toBe(expected)
  })

  it('judges a redirect by where it leads, relative ones against the URL they came from', () => {
    const from = 'https://example.com/moved.png'
    expect(refusal('/a.png', PUBLIC, from)).toBe('ok')
    expect(refusal('//localhost/a.png', PUBLIC, from)).toBe('private_name')
    expect(refusal('https://0x7f000001/', PUBLIC, from)).toBe('ip_literal')
    expect(refusal('http://example.com/a.png', PUBLIC, from)).toBe('scheme')
  })

  it('gives the host as fetch would reach it', () => {
    expect(judgeUrl('https://2130706433/', PUBLIC)).toMatchObject({ host: '127.0.0.1' })
    expect(judgeUrl('https://Example.COM./a.png', PUBLIC)).toMatchObject({
      ok: true,
      url: new URL('https://example.com./a.png'),
    })
  })
})

describe('every spelling of an address is refused (property)', () => {
  it('IPv4 in any radix and form, alone or inside IPv6', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.constantFrom(...ipv4Spellings(0).keys()),
        (n, i) => {
          const host = ipv4Spellings(n)[i] as string
          expect(refusal(`https://${host}/a.png`), host).toBe('ip_literal')
        },
      ),
    )
  })

  it('any IPv6 address', () => {
    const groups = fc.array(fc.nat({ max: 0xffff }), { minLength: 8, maxLength: 8 })
    fc.assert(
      fc.property(groups, fc.boolean(), (words, compress) => {
        let host = words.map((w) => w.toString(16)).join(':')
        if (compress) host = host.replace(/(^|:)0(:0)+(:|$)/, '::')
        expect(refusal(`https://[${host}]/a.png`), host).toBe('ip_literal')
      }),
    )
  })
})

describe('judgeUrl with a list', () => {
  const LISTED: UrlPolicy = {
    hosts: ['files.internal', '*.cdn.example.com', '127.0.0.1'],
    ownHost: 'files.internal',
  }

  it.each([
    ['https://files.internal/a.png', 'ok'],
    ['https://FILES.internal./a.png', 'ok'],
    ['https://a.cdn.example.com/a.png', 'ok'],
    ['https://2130706433/a.png', 'ok'],
    ['https://cdn.example.com/a.png', 'not_listed'],
    ['https://example.com/a.png', 'not_listed'],
    ['https://localhost/a.png', 'not_listed'],
    ['https://user:pass@files.internal/', 'userinfo'],
    ['http://files.internal/a.png', 'scheme'],
  ])('%s: %s', (url, expected) => {
    expect(refusal(url, LISTED)).toBe(expected)
  })

  it('allows none with an empty list', () => {
    expect(refusal('https://example.com/a.png', { hosts: [], ownHost: null })).toBe('not_listed')
  })

  it('allows plain http for listed hosts only when the policy says so (webhooks)', () => {
    const policy = { ...LISTED, httpForListed: true }
    expect(refusal('http://files.internal/hook', policy)).toBe('ok')
    expect(refusal('http://example.com/hook', policy)).toBe('scheme')
    expect(
      refusal('http://example.com/hook', { hosts: null, ownHost: null, httpForListed: true }),
    ).toBe('scheme')
  })
})
