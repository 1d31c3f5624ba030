/**
 * The JWS signature check of an access token (RFC 7515 §5.2, RFC 7518 §3.2–3.4, RFC 8037 §3.1),
 * synchronous, with node:crypto. jose's compactVerify goes through WebCrypto, whose every check is
 * a job on libuv's thread pool: handing it over and waking the main thread again cost more CPU
 * than the RSA verification itself (16 µs here), and GET /api/auth/me does little else. Signing
 * stays with jose (an RSA signature, 0.2 ms, is worth another core).
 *
 * The key must suit the algorithm, as jose requires, or the signature is refused: an RSA public key
 * of 2048 bits or more for RS256, a P-256 public key for ES256, an Ed25519 public key for EdDSA, a
 * secret of 32 bytes or more for HS256. A CryptoKey must also have been imported for that algorithm and for `verify`.
 * So a public key handed out as an HMAC secret (RFC 8725 §2.1) verifies nothing.
 */
import { createHmac, KeyObject, timingSafeEqual, verify } from 'node:crypto';
import type { SigningAlgorithm, VerificationKey } from './verify-token';

/** What a CryptoKey must say of itself (its WebCrypto algorithm) to verify `alg`, as jose checks it. */
const CRYPTO_KEY_ALGORITHMS: Record<SigningAlgorithm, (a: KeyAlgorithmLike) => boolean> = {
  RS256: (a) => a.name === 'RSASSA-PKCS1-v1_5' && a.hash?.name === 'SHA-256',
  ES256: (a) => a.name === 'ECDSA' && a.namedCurve === 'P-256',
  EdDSA: (a) => a.name === 'Ed25519',
  HS256: (a) => a.name === 'HMAC' && a.hash?.name === 'SHA-256',
};

interface KeyAlgorithmLike {
  name?: string;
  hash?: { name?: string };
  namedCurve?: string;
}

const asKeyObjects = new WeakMap<CryptoKey, KeyObject>();
const MIN_HMAC_SECRET_BYTES = 32;

/** The key as node:crypto takes it, or undefined when it cannot verify `alg`. */
function keyFor(alg: SigningAlgorithm, key: VerificationKey): KeyObject | Uint8Array | undefined {
  if (key instanceof Uint8Array) return alg === 'HS256' ? key : undefined;
  if (key instanceof KeyObject) return key;
  const cryptoKey = key as CryptoKey;
  const usable = cryptoKey.usages?.includes('verify') && CRYPTO_KEY_ALGORITHMS[alg]((cryptoKey.algorithm ?? {}) as KeyAlgorithmLike);
  if (!usable) return undefined;
  let converted = asKeyObjects.get(cryptoKey);
  if (!converted) asKeyObjects.set(cryptoKey, (converted = KeyObject.from(cryptoKey)));
  return converted;
}

/** True when `signature` is `alg`'s signature of `signingInput` under `key`; false for every other case. */
export function verifySignature(alg: SigningAlgorithm, key: VerificationKey, signingInput: Buffer, signature: Buffer): boolean {
  try {
    return check(alg, key, signingInput, signature);
  } catch {
    return false; // not a key at all, or one node:crypto cannot use
  }
}

function check(alg: SigningAlgorithm, key: VerificationKey, signingInput: Buffer, signature: Buffer): boolean {
  const material = keyFor(alg, key);
  if (material === undefined) return false;
  if (alg === 'HS256') {
    if (material instanceof KeyObject && material.type !== 'secret') return false;
    // RFC 7518 §3.2: at least the hash's size. (WebCrypto, under jose, refused an empty secret only.)
    const size = material instanceof KeyObject ? material.symmetricKeySize : material.byteLength;
    if (!size || size < MIN_HMAC_SECRET_BYTES) return false;
    const mac = createHmac('sha256', material).update(signingInput).digest();
    return signature.length === mac.length && timingSafeEqual(signature, mac);
  }
  if (!(material instanceof KeyObject) || material.type !== 'public') return false;
  const details = material.asymmetricKeyDetails;
  switch (alg) {
    case 'RS256':
      return material.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048 && verify('sha256', signingInput, material, signature);
    case 'ES256':
      // JWS carries r‖s, 32 bytes each (RFC 7518 §3.4), not DER.
      return material.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1' && signature.length === 64 &&
        verify('sha256', signingInput, { key: material, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
      return material.asymmetricKeyType === 'ed25519' && verify(null, signingInput, material, signature);
  }
  return false;
}
