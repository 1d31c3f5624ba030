/**
 * The signature check alone (signature.ts): genuine signatures pass with every form of key the
 * resolvers hand out; a key that does not suit the algorithm refuses even a genuine signature made
 * with that very key (the rules jose applied before the check moved to node:crypto). The check on
 * the calling thread and the one on libuv's pool give the same answer every time.
 */
import { createHmac, createSecretKey, generateKeyPairSync, KeyObject, randomBytes, sign, webcrypto } from 'node:crypto';
import { verifySignature, verifySignatureOnPool } from './signature';
import type { SigningAlgorithm, VerificationKey } from './verify-token';

const INPUT = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0', 'latin1');
const subtle = webcrypto.subtle;

const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
const rsa2048 = rsa(2048);
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const secret = randomBytes(32);

/** A genuine signature of INPUT, in JWS form. */
function signed(alg: SigningAlgorithm, privateKey: KeyObject | Buffer, input = INPUT): Buffer {
  switch (alg) {
    case 'RS256':
      return sign('sha256', input, privateKey as KeyObject);
    case 'ES256':
      return sign('sha256', input, { key: privateKey as KeyObject, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, input, privateKey as KeyObject);
    case 'HS256':
      return createHmac('sha256', privateKey).update(input).digest();
  }
}

const importPublic = (key: KeyObject, algorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm, usages: KeyUsage[] = ['verify']) =>
  subtle.importKey('spki', key.export({ type: 'spki', format: 'der' }), algorithm, true, usages);

/** Both checks, which must agree. */
async function check(alg: SigningAlgorithm, key: VerificationKey, input: Buffer, signature: Buffer): Promise<boolean> {
  const inline = verifySignature(alg, key, input, signature);
  expect(await verifySignatureOnPool(alg, key, input, signature)).toBe(inline);
  return inline;
}

describe('verifySignature and verifySignatureOnPool', () => {
  describe('accepts a genuine signature', () => {
    const cases: [string, SigningAlgorithm, KeyObject | Buffer, () => Promise<VerificationKey> | VerificationKey][] = [
      ['RS256, KeyObject', 'RS256', rsa2048.privateKey, () => rsa2048.publicKey],
      ['RS256, CryptoKey', 'RS256', rsa2048.privateKey, () => importPublic(rsa2048.publicKey, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' })],
      ['ES256, KeyObject', 'ES256', p256.privateKey, () => p256.publicKey],
      ['ES256, CryptoKey', 'ES256', p256.privateKey, () => importPublic(p256.publicKey, { name: 'ECDSA', namedCurve: 'P-256' })],
      ['EdDSA, KeyObject', 'EdDSA', ed.privateKey, () => ed.publicKey],
      ['EdDSA, CryptoKey', 'EdDSA', ed.privateKey, () => importPublic(ed.publicKey, { name: 'Ed25519' })],
      ['HS256, bytes', 'HS256', secret, () => new Uint8Array(secret)],
      ['HS256, secret KeyObject', 'HS256', secret, () => createSecretKey(secret)],
      ['HS256, CryptoKey', 'HS256', secret, () => subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])],
    ];
    it.each(cases)('%s', async (_name, alg, privateKey, key) => {
      const resolved = await key();
      expect(await check(alg, resolved, INPUT, signed(alg, privateKey))).toBe(true);
      // The same key, asked twice (a CryptoKey is converted once), and another input: false.
      expect(await check(alg, resolved, INPUT, signed(alg, privateKey))).toBe(true);
      expect(await check(alg, resolved, Buffer.from(`${INPUT}x`), signed(alg, privateKey))).toBe(false);
    });
  });

  describe('refuses a genuine signature when the key does not suit the algorithm', () => {
    const rsa1024 = rsa(1024);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const cases: [string, SigningAlgorithm, Buffer, () => Promise<VerificationKey> | VerificationKey][] = [
      ['RS256 with an RSA key under 2048 bits', 'RS256', signed('RS256', rsa1024.privateKey), () => rsa1024.publicKey],
      ['RS256 with the private key as the verification key', 'RS256', signed('RS256', rsa2048.privateKey), () => rsa2048.privateKey],
      ['RS256 with a CryptoKey imported for RS384', 'RS256', signed('RS256', rsa2048.privateKey), () => importPublic(rsa2048.publicKey, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' })],
      ['RS256 with a CryptoKey imported for RSA-PSS', 'RS256', signed('RS256', rsa2048.privateKey), () => importPublic(rsa2048.publicKey, { name: 'RSA-PSS', hash: 'SHA-256' })],
      ['RS256 with a CryptoKey that may not verify', 'RS256', signed('RS256', rsa2048.privateKey), () => importPublic(rsa2048.publicKey, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, [])],
      ['ES256 with a P-384 key', 'ES256', sign('sha256', INPUT, { key: p384.privateKey, dsaEncoding: 'ieee-p1363' }), () => p384.publicKey],
      ['ES256 with a DER signature instead of r‖s', 'ES256', sign('sha256', INPUT, p256.privateKey), () => p256.publicKey],
      ['ES256 with an Ed25519 key', 'ES256', signed('EdDSA', ed.privateKey), () => ed.publicKey],
      ['EdDSA with an RSA key', 'EdDSA', signed('RS256', rsa2048.privateKey), () => rsa2048.publicKey],
      ['RS256 with the HMAC secret bytes', 'RS256', signed('HS256', secret), () => new Uint8Array(secret)],
      ['HS256 with a public KeyObject', 'HS256', signed('HS256', rsa2048.publicKey.export({ type: 'spki', format: 'der' })), () => rsa2048.publicKey],
      ['HS256 with a CryptoKey imported for HMAC SHA-512', 'HS256', signed('HS256', secret), () => subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-512' }, false, ['verify'])],
      ['HS256 with a signature cut short', 'HS256', signed('HS256', secret).subarray(0, 16), () => new Uint8Array(secret)],
      ['HS256 with an empty secret', 'HS256', signed('HS256', Buffer.alloc(0)), () => new Uint8Array(0)],
      ['HS256 with a secret shorter than the hash (RFC 7518 §3.2)', 'HS256', signed('HS256', secret.subarray(0, 31)), () => createSecretKey(secret.subarray(0, 31))],
    ];
    it.each(cases)('%s', async (_name, alg, signature, key) => {
      expect(await check(alg, await key(), INPUT, signature)).toBe(false);
    });
  });

  it('answers false, never throws, for what is no key at all', async () => {
    const signature = signed('RS256', rsa2048.privateKey);
    for (const junk of ['a string', 42, {}, { usages: ['verify'], algorithm: { name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } } }, null]) {
      expect(await check('RS256', junk as unknown as VerificationKey, INPUT, signature)).toBe(false);
    }
  });

  it('on the pool, answers false for an empty or a truncated RSA signature and a wrong ES256 length', async () => {
    const rs = signed('RS256', rsa2048.privateKey);
    expect(await check('RS256', rsa2048.publicKey, INPUT, Buffer.alloc(0))).toBe(false);
    expect(await check('RS256', rsa2048.publicKey, INPUT, rs.subarray(0, 128))).toBe(false);
    expect(await check('ES256', p256.publicKey, INPUT, signed('ES256', p256.privateKey).subarray(0, 63))).toBe(false);
  });
});
