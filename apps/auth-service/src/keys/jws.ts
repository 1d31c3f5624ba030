import { createHmac, KeyObject, sign } from 'node:crypto';
import { SigningAlgorithm } from '../config/app-config';
import { KeyMaterial } from './key-material';

/**
 * A compact JWS (RFC 7515 §7.1), signed synchronously with node:crypto: RS256 (RSASSA-PKCS1-v1_5
 * with SHA-256), ES256 (r‖s, RFC 7518 §3.4), EdDSA (Ed25519, RFC 8037) or HS256. jose's SignJWT
 * signs through WebCrypto, a job on libuv's thread pool: handing it over and resuming cost more
 * CPU than it saved by running the signature on the other core (measured on refresh: about 10 %
 * of the service's CPU per request). The header and payload are written as given, in their order.
 * The tests verify its tokens with jose and with jwks-rsa + jsonwebtoken (and PyJWT where Python has it).
 */
export function signCompact(alg: SigningAlgorithm, key: KeyMaterial, header: object, payload: object): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const data = Buffer.from(signingInput, 'latin1'); // base64url is ASCII
  return `${signingInput}.${signatureOf(alg, key, data).toString('base64url')}`;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** node:crypto's type of the private key each asymmetric algorithm signs with (P-256 for ES256: key-material.ts). */
const KEY_TYPES = { RS256: 'rsa', ES256: 'ec', EdDSA: 'ed25519' } as const;

function signatureOf(alg: SigningAlgorithm, key: KeyMaterial, data: Buffer): Buffer {
  if (alg === 'HS256') {
    if (!(key instanceof Uint8Array)) throw new TypeError('HS256 signs with the secret bytes');
    return createHmac('sha256', key).update(data).digest();
  }
  const privateKey = keyObjectOf(key);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== KEY_TYPES[alg]) throw new TypeError(`${alg} signs with a private ${KEY_TYPES[alg]} key`);
  switch (alg) {
    case 'RS256':
      return sign('sha256', data, privateKey);
    case 'ES256':
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, data, privateKey);
  }
}

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/** The signing key as node:crypto takes it (a CryptoKey is converted once). */
function keyObjectOf(key: KeyMaterial): KeyObject {
  if (key instanceof Uint8Array) throw new TypeError('an asymmetric algorithm signs with a private key, not bytes');
  let converted = keyObjects.get(key);
  if (!converted) keyObjects.set(key, (converted = KeyObject.from(key)));
  return converted;
}
