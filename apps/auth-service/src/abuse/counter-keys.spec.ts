import { clientKey, identifierKey } from './counter-keys';

describe('counter keys (SPEC §6)', () => {
  it('counts IPv4 clients by address and IPv4-mapped IPv6 as IPv4', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:cb00:7107')).toBe('203.0.113.7');
  });

  it('counts IPv6 clients by their /64', () => {
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:DB8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('puts requests without a valid address under one key', () => {
    expect(clientKey(null)).toBe('none');
    expect(clientKey('not an address')).toBe('none');
  });

  it('hashes identifiers to a short fixed-size key', () => {
    expect(identifierKey('a@example.com')).toHaveLength(22);
    expect(identifierKey('x'.repeat(10_000))).toHaveLength(22);
    expect(identifierKey('a@example.com')).not.toBe(identifierKey('b@example.com'));
  });
});
