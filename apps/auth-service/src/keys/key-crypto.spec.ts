import { decryptPrivateKey, deriveKey, encryptPrivateKey } from './key-crypto';

describe('signing-key encryption (AES-256-GCM under KEYS_ENCRYPTION_SECRET)', () => {
  const secret = 'a'.repeat(40);
  const old = 'b'.repeat(40);
  const plain = Buffer.from('{"kty":"OKP","d":"private"}');

  it('round-trips and never stores the plaintext', () => {
    const sealed = encryptPrivateKey(plain, secret);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed.slice(3), 'base64url').includes(plain)).toBe(false);
    expect(decryptPrivateKey(sealed, [secret])?.equals(plain)).toBe(true);
  });

  it('accepts a previous secret, refuses an unknown one', () => {
    const sealed = encryptPrivateKey(plain, old);
    expect(decryptPrivateKey(sealed, [secret, old])?.equals(plain)).toBe(true);
    expect(decryptPrivateKey(sealed, [secret])).toBeNull();
  });

  it('detects tampering and garbage', () => {
    const sealed = encryptPrivateKey(plain, secret);
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(decryptPrivateKey(`v1.${raw.toString('base64url')}`, [secret])).toBeNull();
    expect(decryptPrivateKey('v2.abc', [secret])).toBeNull();
    expect(decryptPrivateKey('v1.', [secret])).toBeNull();
    expect(decryptPrivateKey('garbage', [secret])).toBeNull();
  });

  it('derives a different key for each purpose', () => {
    const keys = (['signing-key-encryption', 'refresh-successor', 'security-log-chain'] as const).map((p) => deriveKey(secret, p).toString('hex'));
    expect(new Set(keys).size).toBe(3);
    expect(deriveKey(secret, 'refresh-successor').equals(deriveKey(secret, 'refresh-successor'))).toBe(true);
  });
});
