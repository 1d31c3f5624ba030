import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import { SigningAlgorithm } from '../config/app-config';

export type KeyMaterial = CryptoKey | Uint8Array;

export interface GeneratedKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Public members only, with kid/alg/use; null for HS256. */
  publicJwk: JWK | null;
  /** The private JWK (or the HMAC secret) as JSON bytes, to be encrypted before it is stored. */
  privateJwk: JWK;
}

/** Keys whose generation began ahead (prepareSigningKeys), by algorithm: generateSigningKey takes them first. */
const prepared = new Map<SigningAlgorithm, Promise<GeneratedKey>[]>();

/**
 * Begins generating `count` keys now, without waiting, for generateSigningKey to hand out later,
 * in this order (the promises are returned for tests to compare).
 * For the first start on a new embedded DATA_DIR, which will make two (active and next): two RSA
 * generations take 0.2–0.5 s here on libuv's threads, and begun once the cluster is made they run
 * while PGlite opens it on the main thread, instead of after (bench/HISTORY.md). A key is
 * generated in this process and kept in its memory only, as any other is until it is stored.
 */
export function prepareSigningKeys(alg: SigningAlgorithm, count: number): Promise<GeneratedKey>[] {
  const keys = Array.from({ length: count }, () => newSigningKey(alg));
  // A failure surfaces where the key is taken, which then makes another.
  for (const key of keys) key.catch(() => undefined);
  prepared.set(alg, [...(prepared.get(alg) ?? []), ...keys]);
  return keys;
}

/** RSA 2048, P-256 or Ed25519 by `alg`; HS256 gets 256 random bits. A key prepared ahead is handed out first. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<GeneratedKey> {
  const ready = prepared.get(alg)?.shift();
  return ready ? ready.catch(() => newSigningKey(alg)) : newSigningKey(alg);
}

async function newSigningKey(alg: SigningAlgorithm): Promise<GeneratedKey> {
  if (alg === 'HS256') {
    const k = randomBytes(32).toString('base64url');
    return { kid: randomBytes(16).toString('base64url'), alg, publicJwk: null, privateJwk: { kty: 'oct', k, alg } };
  }
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const publicMembers = await exportJWK(publicKey);
  // RFC 7638 thumbprint: the kid names the key itself, so two instances can never disagree on it.
  const kid = await calculateJwkThumbprint(publicMembers, 'sha256');
  const publicJwk: JWK = { ...publicMembers, kid, alg, use: 'sig' };
  return { kid, alg, publicJwk, privateJwk: { ...(await exportJWK(privateKey)), kid, alg } };
}

export async function importPrivateKey(alg: SigningAlgorithm, privateJwk: JWK): Promise<KeyMaterial> {
  return importJWK(privateJwk, alg);
}

export async function importPublicKey(alg: SigningAlgorithm, publicJwk: JWK): Promise<KeyMaterial> {
  return importJWK(publicJwk, alg);
}

const PUBLIC_MEMBERS = ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y', 'n', 'e'] as const;

/** Whatever is stored, only these members are ever published (never d, p, q, dp, dq, qi, k). */
export function publicOnly(jwk: JWK): JWK {
  const out: JWK = {};
  for (const member of PUBLIC_MEMBERS) if (jwk[member] !== undefined) (out as Record<string, unknown>)[member] = jwk[member];
  return out;
}
