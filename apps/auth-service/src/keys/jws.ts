import { signatureOf, signatureOnPool } from '@tessera/verifier/signature';
import { SigningAlgorithm } from '../config/app-config';
import { KeyMaterial } from './key-material';

/**
 * A compact JWS (RFC 7515 §7.1), signed with node:crypto through the verifier's own table of
 * algorithms (libs/verifier/src/signature.ts, which says why not jose): on the calling thread
 * (signCompact) or as a job on libuv's pool (signCompactOnPool), the same token either way. The
 * header and payload are written as given, in their order. The tests verify its tokens with jose
 * and with jwks-rsa + jsonwebtoken (and PyJWT where Python has it).
 */
export function signCompact(alg: SigningAlgorithm, key: KeyMaterial, header: object, payload: object): string {
  const input = signingInput(header, payload);
  return `${input}.${signatureOf(alg, key, Buffer.from(input, 'latin1')).toString('base64url')}`; // base64url is ASCII
}

export async function signCompactOnPool(alg: SigningAlgorithm, key: KeyMaterial, header: object, payload: object): Promise<string> {
  const input = signingInput(header, payload);
  return `${input}.${(await signatureOnPool(alg, key, Buffer.from(input, 'latin1'))).toString('base64url')}`;
}

const signingInput = (header: object, payload: object) => `${base64url(header)}.${base64url(payload)}`;
const base64url = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
