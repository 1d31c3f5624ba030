import { signatureOf } from '@tessera/verifier/signature';
import { SigningAlgorithm } from '../config/app-config';
import { KeyMaterial } from './key-material';

/**
 * A compact JWS (RFC 7515 §7.1), signed synchronously with node:crypto through the verifier's own
 * table of algorithms (libs/verifier/src/signature.ts, which says why not jose). The header and
 * payload are written as given, in their order. The tests verify its tokens with jose and with
 * jwks-rsa + jsonwebtoken (and PyJWT where Python has it).
 */
export function signCompact(alg: SigningAlgorithm, key: KeyMaterial, header: object, payload: object): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  return `${signingInput}.${signatureOf(alg, key, Buffer.from(signingInput, 'latin1')).toString('base64url')}`; // base64url is ASCII
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
