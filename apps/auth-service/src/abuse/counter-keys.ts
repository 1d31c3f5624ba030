import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * What a counter is keyed by. Nothing the client sends decides a key's size or shape: identifiers
 * (up to 1 KiB of anything) are hashed, and addresses are validated IPs (the request's `ip`, which
 * follows X-Forwarded-For only under TRUST_PROXY), so a key costs one fixed-size counter update.
 */
export function identifierKey(identifier: string): string {
  return createHash('sha256').update(identifier, 'utf8').digest('base64url').slice(0, 22);
}

/**
 * The address a client is counted under (SPEC §6): IPv4 as is, an IPv4-mapped IPv6 address as its
 * IPv4, and IPv6 by its /64, the block one subscriber gets (counting single IPv6 addresses would
 * let one client rotate through 2^64 of them). No address (a test's injected request) is one client.
 */
export function clientKey(ip: string | null): string {
  if (!ip) return 'none';
  const kind = isIP(ip);
  if (kind === 4) return ip;
  if (kind !== 6) return 'none';
  const groups = expandIPv6(ip);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 split in two). */
function expandIPv6(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
