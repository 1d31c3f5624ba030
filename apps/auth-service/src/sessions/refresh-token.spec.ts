import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { claimOf, deriveSuccessorToken, generateRefreshToken, hashRefreshToken, lookupOf, newRefreshTokenId, successorAsIssued } from './refresh-token';

const owner = { sessionId: randomUUID(), userId: randomUUID() };
const CURRENT = /^rt_[A-Za-z0-9_-]{107}$/;
const hex = (uuid: string) => Buffer.from(uuid.replace(/-/g, ''), 'hex');
/** The shape before row ids: rt_ + base64url(session id ‖ user id ‖ 32 bytes). */
const ownerShaped = (secret: Buffer) => `rt_${Buffer.concat([hex(owner.sessionId), hex(owner.userId), secret]).toString('base64url')}`;

describe('refresh tokens (SPEC §4)', () => {
  it('are rt_ + base64url of their row id, the owner and 256 random bits', () => {
    const id = newRefreshTokenId();
    const token = generateRefreshToken(id, owner);
    expect(token).toMatch(CURRENT);
    const bytes = Buffer.from(token.slice(3), 'base64url');
    expect(bytes).toHaveLength(80);
    expect(bytes.subarray(0, 16).toString('hex')).toBe(id.replace(/-/g, ''));
    // The last 32 bytes (from character 3 + 64 on, 48 bytes being 64 characters) differ every time.
    expect(new Set(Array.from({ length: 1000 }, () => generateRefreshToken(id, owner).slice(3 + 64))).size).toBe(1000);
  });

  it('get time-ordered row ids (UUIDv7), so new rows append to the indexes on id', () => {
    const ids = Array.from({ length: 1000 }, newRefreshTokenId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it('name their row and owner, and only a token of exactly that shape names them', () => {
    const id = newRefreshTokenId();
    const token = generateRefreshToken(id, owner);
    expect(claimOf(token)).toEqual({ id, owner });
    const earlier = ownerShaped(Buffer.alloc(32, 1));
    expect(earlier).toMatch(/^rt_[A-Za-z0-9_-]{86}$/);
    for (const other of ['', 'rt_', token.slice(0, -1), `${token}A`, `xx_${token.slice(3)}`, earlier, `rt_${'A'.repeat(43)}`, `rt_${'!'.repeat(107)}`, `rt_${'A'.repeat(106)}=`]) {
      expect(claimOf(other)).toBeNull();
    }
  });

  it('are looked up by row id and hash when they carry an id, by hash alone otherwise', () => {
    const id = newRefreshTokenId();
    const token = generateRefreshToken(id, owner);
    expect(lookupOf(token)).toEqual({ id, hash: hashRefreshToken(token) });
    for (const other of ['rt_seed_1', `rt_${'A'.repeat(43)}`, ownerShaped(Buffer.alloc(32, 1)), 'anything']) {
      expect(lookupOf(other)).toEqual({ id: null, hash: hashRefreshToken(other) });
    }
  });

  it('refuse to be made for an id or owner that is not a UUID', () => {
    expect(() => generateRefreshToken(newRefreshTokenId(), { sessionId: 'x', userId: owner.userId })).toThrow();
    expect(() => generateRefreshToken('x', owner)).toThrow();
  });

  it('derive the same successor from the same parent, id, owner and key; another under another key or id', () => {
    const parent = generateRefreshToken(newRefreshTokenId(), owner);
    const id = newRefreshTokenId();
    const key = Buffer.alloc(32, 1);
    expect(deriveSuccessorToken(parent, id, owner, key)).toBe(deriveSuccessorToken(parent, id, owner, key));
    expect(deriveSuccessorToken(parent, id, owner, key)).toMatch(CURRENT);
    expect(claimOf(deriveSuccessorToken(parent, id, owner, key))).toEqual({ id, owner });
    expect(deriveSuccessorToken(parent, id, owner, Buffer.alloc(32, 2))).not.toBe(deriveSuccessorToken(parent, id, owner, key));
    expect(deriveSuccessorToken(parent, newRefreshTokenId(), owner, key).slice(3 + 64)).toBe(deriveSuccessorToken(parent, id, owner, key).slice(3 + 64));
  });

  it('find a successor again as it was issued: of the current shape, or of either earlier one; nothing else', () => {
    const parent = generateRefreshToken(newRefreshTokenId(), owner);
    const key = Buffer.alloc(32, 3);
    const id = newRefreshTokenId();
    const current = deriveSuccessorToken(parent, id, owner, key);
    expect(successorAsIssued(parent, { id, tokenHash: hashRefreshToken(current) }, owner, key)).toBe(current);
    const earlier = ownerShaped(createHmac('sha256', key).update(parent).digest());
    expect(successorAsIssued(parent, { id, tokenHash: hashRefreshToken(earlier) }, owner, key)).toBe(earlier);
    const first = `rt_${createHmac('sha256', key).update(parent).digest('base64url')}`;
    expect(successorAsIssued(parent, { id, tokenHash: hashRefreshToken(first) }, owner, key)).toBe(first);
    expect(successorAsIssued(parent, { id, tokenHash: hashRefreshToken(`rt_${randomBytes(32).toString('base64url')}`) }, owner, key)).toBeNull();
    expect(successorAsIssued(parent, { id: newRefreshTokenId(), tokenHash: hashRefreshToken(current) }, owner, key)).toBeNull();
    expect(successorAsIssued(parent, { id, tokenHash: hashRefreshToken(current) }, owner, Buffer.alloc(32, 4))).toBeNull();
    expect(successorAsIssued(generateRefreshToken(newRefreshTokenId(), owner), { id, tokenHash: hashRefreshToken(current) }, owner, key)).toBeNull();
  });

  it('hash any string to 32 bytes (an odd input is simply unknown)', () => {
    for (const input of ['', "'; DROP TABLE users; --", 'rt_', '\u0000', 'x'.repeat(10000)]) expect(hashRefreshToken(input)).toHaveLength(32);
  });
});
