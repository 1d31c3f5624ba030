import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Every key the service derives from KEYS_ENCRYPTION_SECRET, one HKDF purpose each, so that the
 * key that encrypts signing keys is never the one that HMACs refresh-token successors or the log chain.
 */
export type KeyPurpose = 'signing-key-encryption' | 'refresh-successor' | 'security-log-chain';

export function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('tessera'), Buffer.from(purpose), 32));
}

const VERSION = 'v1';

/** AES-256-GCM: `v1.<base64url(iv | tag | ciphertext)>`. The tag makes a wrong secret fail, never decrypt garbage. */
export function encryptPrivateKey(plaintext: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, 'signing-key-encryption'), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
}

/** Tries the current secret, then the previous ones (so that the secret itself can rotate); null when none fits. */
export function decryptPrivateKey(encrypted: string, secrets: readonly string[]): Buffer | null {
  const [version, body] = encrypted.split('.');
  if (version !== VERSION || !body) return null;
  const raw = Buffer.from(body, 'base64url');
  if (raw.length < 29) return null;
  const iv = raw.subarray(0, 12);
  const tag = raw.subarray(12, 28);
  const ciphertext = raw.subarray(28);
  for (const secret of secrets) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, 'signing-key-encryption'), iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      // not this secret
    }
  }
  return null;
}
