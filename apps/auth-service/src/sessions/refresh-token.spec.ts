import { randomUUID } from 'node:crypto';
import { claimedOwner, deriveSuccessorToken, generateRefreshToken, hashRefreshToken } from './refresh-token';

const owner = { sessionId: randomUUID(), userId: randomUUID() };

describe('refresh tokens (SPEC §4)', () => {
  it('are rt_ + base64url of the owner and 256 random bits', () => {
    const token = generateRefreshToken(owner);
    expect(token).toMatch(/^rt_[A-Za-z0-9_-]{86}$/);
    const bytes = Buffer.from(token.slice(3), 'base64url');
    expect(bytes).toHaveLength(64);
    expect(new Set(Array.from({ length: 1000 }, () => generateRefreshToken(owner).slice(3 + 43))).size).toBe(1000);
  });

  it('name their owner, and only a token of exactly that shape names one', () => {
    expect(claimedOwner(generateRefreshToken(owner))).toEqual(owner);
    const token = generateRefreshToken(owner);
    for (const other of ['', 'rt_', token.slice(0, -1), `${token}A`, `xx_${token.slice(3)}`, `rt_${'A'.repeat(43)}`, `rt_${'!'.repeat(86)}`, `rt_${'A'.repeat(85)}=`]) {
      expect(claimedOwner(other)).toBeNull();
    }
  });

  it('refuse to be made for an owner that is not two UUIDs', () => {
    expect(() => generateRefreshToken({ sessionId: 'x', userId: owner.userId })).toThrow();
  });

  it('derive the same successor from the same parent, owner and key; another under another key', () => {
    const parent = generateRefreshToken(owner);
    const key = Buffer.alloc(32, 1);
    expect(deriveSuccessorToken(parent, owner, key)).toBe(deriveSuccessorToken(parent, owner, key));
    expect(deriveSuccessorToken(parent, owner, key)).toMatch(/^rt_[A-Za-z0-9_-]{86}$/);
    expect(claimedOwner(deriveSuccessorToken(parent, owner, key))).toEqual(owner);
    expect(deriveSuccessorToken(parent, owner, Buffer.alloc(32, 2))).not.toBe(deriveSuccessorToken(parent, owner, key));
  });

  it('hash any string to 32 bytes (an odd input is simply unknown)', () => {
    for (const input of ['', "'; DROP TABLE users; --", 'rt_', '\u0000', 'x'.repeat(10000)]) expect(hashRefreshToken(input)).toHaveLength(32);
  });
});
