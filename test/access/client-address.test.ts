/** Which client a request counts against: IPv4 addresses, IPv6 /64s, and no address at all. */
import { describe, expect, it } from 'vitest'
import { clientBucket } from '../../src/access/client-address'

const bucket = (ip?: string, ipv6?: string) =>
  clientBucket((name) =>
    name === 'cf-connecting-ip' ? ip : name === 'cf-connecting-ipv6' ? ipv6 : undefined,
  )

describe('clientBucket', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    [' 198.51.100.7 ', '198.51.100.7'],
    ['010.001.002.003', '10.1.2.3'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:aaaa::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['::ffff:c633:6407', '198.51.100.7'],
    ['64:ff9b::198.51.100.7', '64:ff9b:0:0::/64'],
  ])('counts %s as %s', (ip, expected) => {
    expect(bucket(ip)).toBe(expected)
  })

  it('puts every address of one /64 in one bucket, and the next /64 in another', () => {
    const addresses = ['2001:db8:1:2::1', '2001:db8:1:2:1234:5678:9abc:def0', '2001:db8:1:2::ffff']
    expect(new Set(addresses.map((ip) => bucket(ip)))).toEqual(new Set(['2001:db8:1:2::/64']))
    expect(bucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64')
  })

  it.each([
    [undefined],
    [''],
    ['unknown'],
    ['256.1.1.1'],
    ['1.2.3'],
    ['2001:db8::1::2'],
    ['2001:db8:1:2:3:4:5:6:7'],
    ['2001:db8:1:2:3:4:5'],
    ['1:2:3:4:5:6:7::8'],
    ['fe80::1%eth0'],
    ['12345::'],
  ])('has no bucket for %s', (ip) => {
    expect(bucket(ip)).toBeNull()
  })

  it('takes the real IPv6 address from CF-Connecting-IPv6 only behind a pseudo IPv4 address', () => {
    expect(bucket('240.16.3.4', '2001:db8:1:2::9')).toBe('2001:db8:1:2::/64')
    expect(bucket('240.16.3.4', 'garbage')).toBe('240.16.3.4')
    expect(bucket('198.51.100.7', '2001:db8:1:2::9')).toBe('198.51.100.7')
    expect(bucket(undefined, '2001:db8:1:2::9')).toBeNull()
  })
})
