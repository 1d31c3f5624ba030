import { KeyObject, sign as cryptoSign } from 'node:crypto';
import { importJWK, JWK, SignJWT } from 'jose';
import { DataSource } from 'typeorm';
import { decryptPrivateKey } from '../../apps/auth-service/src/keys/key-crypto';
import { TEST_SECRET } from './test-env';

export interface ServiceKey {
  kid: string;
  alg: string;
  key: CryptoKey | Uint8Array;
  publicJwk: JWK | null;
}

/**
 * The service's own active signing key, decrypted with the test secret: lets a test forge tokens
 * that carry a VALID signature, so that each claim and header rule is tested on its own.
 */
export async function activeServiceKey(dataSource: DataSource): Promise<ServiceKey> {
  const [row] = await dataSource.query(`SELECT kid, alg, public_jwk, private_key_enc FROM signing_keys WHERE status = 'active'`);
  const plain = decryptPrivateKey(row.private_key_enc, [TEST_SECRET]);
  if (!plain) throw new Error('test secret does not decrypt the active key');
  const jwk = JSON.parse(plain.toString('utf8')) as JWK;
  return { kid: row.kid, alg: row.alg, key: await importJWK(jwk, row.alg), publicJwk: row.public_jwk };
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

export async function sign(key: ServiceKey, header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, ...header } as never).sign(key.key);
}

/** Signs any header as it is (jose refuses to produce some of the forgeries, e.g. unknown `crit`). */
export function signRaw(key: ServiceKey, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const input = `${b64url({ alg: key.alg, ...header })}.${b64url(claims)}`;
  const privateKey = KeyObject.from(key.key as CryptoKey);
  const data = Buffer.from(input);
  const signature =
    key.alg === 'EdDSA'
      ? cryptoSign(null, data, privateKey)
      : key.alg === 'ES256'
        ? cryptoSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
        : cryptoSign('sha256', data, privateKey);
  return `${input}.${signature.toString('base64url')}`;
}
