import { canonicalJson, chainLink, GENESIS, rowMac } from './chain';
import { SecurityEventRecord } from './security-event';

const key = Buffer.alloc(32, 7);
const row: SecurityEventRecord = {
  eventType: 'login_failure',
  userId: null,
  identifier: 'a@b.co',
  ip: '10.0.0.1',
  userAgent: 'curl',
  sessionId: null,
  requestId: 'r1',
  details: { reason: 'unknown_user', n: 1 },
  createdAt: new Date('2026-01-01T00:00:00.123Z'),
};

describe('security log chain (SPEC §5)', () => {
  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
  });

  it('changes the MAC when any field changes', () => {
    const base = rowMac(key, row).toString('hex');
    const variants: Partial<SecurityEventRecord>[] = [
      { eventType: 'login_success' },
      { userId: '00000000-0000-0000-0000-000000000001' },
      { identifier: 'b@b.co' },
      { ip: '10.0.0.2' },
      { userAgent: 'wget' },
      { sessionId: '00000000-0000-0000-0000-000000000002' },
      { requestId: 'r2' },
      { details: { reason: 'bad_password', n: 1 } },
      { createdAt: new Date('2026-01-01T00:00:00.124Z') },
    ];
    for (const v of variants) expect(rowMac(key, { ...row, ...v }).toString('hex')).not.toBe(base);
    expect(rowMac(key, { ...row, details: { n: 1, reason: 'unknown_user' } }).toString('hex')).toBe(base);
    expect(rowMac(Buffer.alloc(32, 8), row).toString('hex')).not.toBe(base);
  });

  it('links depend on the previous link, the sequence number and the MAC', () => {
    const mac = rowMac(key, row);
    const one = chainLink(key, GENESIS, 1, mac);
    expect(chainLink(key, GENESIS, 1, mac).equals(one)).toBe(true);
    expect(chainLink(key, GENESIS, 2, mac).equals(one)).toBe(false);
    expect(chainLink(key, one, 1, mac).equals(one)).toBe(false);
    expect(chainLink(key, GENESIS, 1, Buffer.alloc(32)).equals(one)).toBe(false);
  });
});
