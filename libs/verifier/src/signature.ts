/**
 * The JWS signature of an access token (RFC 7515 §5, RFC 7518 §3.2–3.4, RFC 8037 §3.1), made and
 * checked with node:crypto: checked here for every verifier, made by the Tessera service
 * (apps/auth-service/src/keys/jws.ts), so that both sides read one table of algorithms. jose goes
 * through WebCrypto, whose every operation is a job on libuv's thread pool behind a chain of
 * promises. Here a signature is checked either inline (verifySignature) or as one plain job on the
 * pool (verifySignatureOnPool): a resource service's main thread is its limit, and with the check on
 * the pool the example API answered about 1.4 times as many requests on 2 cores for the same CPU per
 * request (measured, bench/); Tessera checks inline, its pool being argon2's. A signature is made
 * the same two ways (signatureOf, signatureOnPool): Tessera signs on the pool while argon2 leaves a
 * thread of it free (apps/auth-service/src/infra/thread-pool.ts).
 *
 * The key must suit the algorithm, as jose requires, or nothing is signed or verified: an RSA key
 * of 2048 bits or more for RS256, a P-256 key for ES256, an Ed25519 key for EdDSA (a public key to
 * verify, a private one to sign), a secret of 32 bytes or more for HS256 (RFC 7518 §3.2; WebCrypto
 * under jose refused only an empty one). A CryptoKey must also have been imported for that
 * algorithm and for that use. So a public key handed out as an HMAC secret (RFC 8725 §2.1)
 * verifies nothing.
 */
import { createHmac, KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import type { SigningAlgorithm, VerificationKey } from './verify-token';

type AsymmetricAlgorithm = Exclude<SigningAlgorithm, 'HS256'>;

interface KeyAlgorithmLike {
  name?: string;
  hash?: { name?: string };
  namedCurve?: string;
}

/** What a CryptoKey must say of itself (its WebCrypto algorithm) to serve `alg`, as jose checks it. */
const CRYPTO_KEY_ALGORITHMS: Record<SigningAlgorithm, (a: KeyAlgorithmLike) => boolean> = {
  RS256: (a) => a.name === 'RSASSA-PKCS1-v1_5' && a.hash?.name === 'SHA-256',
  ES256: (a) => a.name === 'ECDSA' && a.namedCurve === 'P-256',
  EdDSA: (a) => a.name === 'Ed25519',
  HS256: (a) => a.name === 'HMAC' && a.hash?.name === 'SHA-256',
};

/** node:crypto's terms for each asymmetric algorithm: the digest, the key it takes, the signature's encoding. */
const ASYMMETRIC: Record<AsymmetricAlgorithm, { digest: string | null; keyType: string; suits: (key: KeyObject) => boolean; dsaEncoding?: 'ieee-p1363'; signatureBytes?: number }> = {
  RS256: { digest: 'sha256', keyType: 'rsa', suits: (key) => (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 },
  // JWS carries r‖s, 32 bytes each (RFC 7518 §3.4), not DER.
  ES256: { digest: 'sha256', keyType: 'ec', suits: (key) => key.asymmetricKeyDetails?.namedCurve === 'prime256v1', dsaEncoding: 'ieee-p1363', signatureBytes: 64 },
  EdDSA: { digest: null, keyType: 'ed25519', suits: () => true },
};

const MIN_HMAC_SECRET_BYTES = 32;
const asKeyObjects = new WeakMap<CryptoKey, KeyObject>();

type Use = 'sign' | 'verify';

/** The key as node:crypto takes it, or undefined when it cannot serve `alg` for `use`. */
function keyFor(alg: SigningAlgorithm, key: VerificationKey, use: Use): KeyObject | Uint8Array | undefined {
  let material: KeyObject | Uint8Array;
  if (key instanceof Uint8Array || key instanceof KeyObject) material = key;
  else {
    const cryptoKey = key as CryptoKey;
    const usable = cryptoKey.usages?.includes(use) && CRYPTO_KEY_ALGORITHMS[alg]((cryptoKey.algorithm ?? {}) as KeyAlgorithmLike);
    if (!usable) return undefined;
    let converted = asKeyObjects.get(cryptoKey);
    if (!converted) asKeyObjects.set(cryptoKey, (converted = KeyObject.from(cryptoKey)));
    material = converted;
  }
  if (alg === 'HS256') {
    if (material instanceof KeyObject && material.type !== 'secret') return undefined;
    const size = material instanceof KeyObject ? material.symmetricKeySize : material.byteLength;
    return size !== undefined && size >= MIN_HMAC_SECRET_BYTES ? material : undefined;
  }
  const { keyType, suits } = ASYMMETRIC[alg];
  const type = use === 'sign' ? 'private' : 'public';
  return material instanceof KeyObject && material.type === type && material.asymmetricKeyType === keyType && suits(material) ? material : undefined;
}

const hmac = (secret: KeyObject | Uint8Array, data: Buffer) => createHmac('sha256', secret).update(data).digest();

/** What node:crypto's `sign` and `verify` take for an asymmetric algorithm besides the data: the digest and the key with its signature encoding. */
interface AsymmetricArgs {
  digest: string | null;
  key: { key: KeyObject; dsaEncoding?: 'ieee-p1363' };
}

/** node:crypto's `sign` arguments for an asymmetric signature, or the HS256 MAC itself; a TypeError for a key that cannot sign for `alg`. */
function signing(alg: SigningAlgorithm, key: VerificationKey, signingInput: Buffer): Buffer | AsymmetricArgs {
  const material = keyFor(alg, key, 'sign');
  if (material === undefined) throw new TypeError(`this key cannot sign ${alg}`);
  if (alg === 'HS256') return hmac(material, signingInput);
  const { digest, dsaEncoding } = ASYMMETRIC[alg];
  return { digest, key: { key: material as KeyObject, dsaEncoding } };
}

/** `alg`'s signature of `signingInput`; a TypeError for a key that cannot sign for `alg`. */
export function signatureOf(alg: SigningAlgorithm, key: VerificationKey, signingInput: Buffer): Buffer {
  const s = signing(alg, key, signingInput);
  return Buffer.isBuffer(s) ? s : sign(s.digest, signingInput, s.key);
}

/**
 * signatureOf, with an asymmetric signature made as a job on libuv's thread pool (node:crypto's
 * callback form); an HS256 MAC, cheaper than the hand-over, on the calling thread. Same rules, same
 * signatures; a key that cannot sign for `alg` rejects with the same TypeError.
 */
export function signatureOnPool(alg: SigningAlgorithm, key: VerificationKey, signingInput: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = signing(alg, key, signingInput);
    if (Buffer.isBuffer(s)) resolve(s);
    else sign(s.digest, signingInput, s.key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

/** node:crypto's `verify` arguments for an asymmetric signature, or the answer when it is already known. */
type Verification = boolean | AsymmetricArgs;

/** Everything but the asymmetric check itself, for both forms below: the key's rules, an HS256 MAC, the signature's length. */
function verification(alg: SigningAlgorithm, key: VerificationKey, signingInput: Buffer, signature: Buffer): Verification {
  const material = keyFor(alg, key, 'verify');
  if (material === undefined) return false;
  if (alg === 'HS256') {
    const mac = hmac(material, signingInput);
    return signature.length === mac.length && timingSafeEqual(signature, mac);
  }
  const { digest, dsaEncoding, signatureBytes } = ASYMMETRIC[alg];
  if (signatureBytes !== undefined && signature.length !== signatureBytes) return false;
  return { digest, key: { key: material as KeyObject, dsaEncoding } };
}

/** True when `signature` is `alg`'s signature of `signingInput` under `key`; false for every other case. */
export function verifySignature(alg: SigningAlgorithm, key: VerificationKey, signingInput: Buffer, signature: Buffer): boolean {
  try {
    const v = verification(alg, key, signingInput, signature);
    return typeof v === 'boolean' ? v : verify(v.digest, signingInput, v.key, signature);
  } catch {
    return false; // not a key at all, or one node:crypto cannot use
  }
}

/**
 * verifySignature, with an asymmetric signature checked as a job on libuv's thread pool (node:crypto's
 * callback form: one hand-over each way, none of WebCrypto's promise machinery); an HS256 MAC,
 * cheaper than the hand-over, on the calling thread. Same rules, same answers.
 */
export function verifySignatureOnPool(alg: SigningAlgorithm, key: VerificationKey, signingInput: Buffer, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const v = verification(alg, key, signingInput, signature);
      if (typeof v === 'boolean') resolve(v);
      else verify(v.digest, signingInput, v.key, signature, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false); // not a key at all, or one node:crypto cannot use
    }
  });
}
