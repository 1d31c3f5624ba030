import { deriveSuccessorToken, generateRefreshToken, hashRefreshToken } from './refresh-token';

describe('refresh tokens (SPEC §4)', () => {
  it('are rt_ + 256 random bits in base64url', () => {
    const token = generateRefreshToken();
    expect(token).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32);
    expect(new Set(Array.from({ length: 1000 }, generateRefreshToken)).size).toBe(1000);
  });

  it('derive the same successor from the same parent and key, another under another key', () => {
    const parent = generateRefreshToken();
    const key = Buffer.alloc(32, 1);
    expect(deriveSuccessorToken(parent, key)).toBe(deriveSuccessorToken(parent, key));
    expect(deriveSuccessorToken(parent, key)).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(deriveSuccessorToken(parent, Buffer.alloc(32, 2))).not.toBe(deriveSuccessorToken(parent, key));
  });

  it('hash any string to 32 bytes (an odd input is simply unknown)', () => {
    for (const input of ['', "'; DROP TABLE users; --", 'rt_', '\u0000', 'x'.repeat(10000)]) expect(hashRefreshToken(input)).toHaveLength(32);
  });
});
