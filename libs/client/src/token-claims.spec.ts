import { readClaims } from './token-claims';
import { fromResponse, fromStored } from './token-state';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown) => `${encode({ alg: 'ES256', typ: 'at+jwt' })}.${encode(claims)}.c2ln`;

describe('readClaims', () => {
  it('reads the payload of a JWT (base64url, UTF-8)', () => {
    expect(readClaims(jwt({ sub: 'u', sid: 's', exp: 100, name: 'Zoë ✓' }))).toEqual({ sub: 'u', sid: 's', exp: 100, name: 'Zoë ✓' });
  });

  it('answers null for anything that is not a JWT with an object payload', () => {
    for (const token of ['', 'opaque', 'a.b', 'a.b.c.d', `${encode({})}.!!!.x`, `x.${encode([1])}.y`, `x.${encode('s')}.y`]) {
      expect(readClaims(token)).toBeNull();
    }
  });
});

describe('token expiry', () => {
  it('from a response, counts from the answer on the client clock (a skewed clock does not matter)', () => {
    const tokens = fromResponse(jwt({ sid: 's1', exp: 1 }), 'rt_x', 60, 1_000_000);
    expect(tokens).toEqual({ access: expect.any(String), refresh: 'rt_x', expiresAt: 1_060_000, issuedAt: 1_000_000, sid: 's1' });
  });

  it('from storage, uses exp and iat; a token that is no JWT counts as expired', () => {
    expect(fromStored(jwt({ sid: 's', iat: 10, exp: 70 }), 'rt')).toMatchObject({ expiresAt: 70_000, issuedAt: 10_000, sid: 's' });
    expect(fromStored('garbage', 'rt')).toMatchObject({ expiresAt: 0, sid: null });
  });
});
