import { compactVerify, CompactSign, decodeProtectedHeader, importJWK, JWK } from 'jose';
import { SigningAlgorithm } from '../config/app-config';
import { signCompact, signCompactOnPool } from './jws';
import { generateSigningKey, importPrivateKey, importPublicKey } from './key-material';

const ALGORITHMS: SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA', 'HS256'];
const PAYLOAD = { sid: 's', client_id: 'tessera', roles: ['user', 'ädmin'], iss: 'https://id.example', sub: 'u', aud: 'tessera', iat: 1, exp: 2, jti: 'j' };

/** The keys as the service holds them (key-material.ts), and what jose verifies with. */
async function keysOf(alg: SigningAlgorithm) {
  const generated = await generateSigningKey(alg);
  const signingKey = await importPrivateKey(alg, generated.privateJwk);
  const verifyKey = alg === 'HS256' ? signingKey : await importPublicKey(alg, generated.publicJwk as JWK);
  return { kid: generated.kid, signingKey, verifyKey };
}

describe('signCompact', () => {
  it.each(ALGORITHMS)('%s: jose verifies the token, and reads back the header and payload as given', async (alg) => {
    const { kid, signingKey, verifyKey } = await keysOf(alg);
    const header = { alg, kid, typ: 'at+jwt' };
    const token = signCompact(alg, signingKey, header, PAYLOAD);
    const { payload, protectedHeader } = await compactVerify(token, verifyKey, { algorithms: [alg] });
    expect(protectedHeader).toEqual(header);
    expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toEqual(PAYLOAD);
    expect(decodeProtectedHeader(token)).toEqual(header);
  });

  it.each(['RS256', 'EdDSA', 'HS256'] as const)('%s: the very token jose signs (deterministic signatures)', async (alg) => {
    const { kid, signingKey } = await keysOf(alg);
    const header = { alg, kid, typ: 'at+jwt' };
    const byJose = await new CompactSign(Buffer.from(JSON.stringify(PAYLOAD))).setProtectedHeader(header).sign(signingKey);
    expect(signCompact(alg, signingKey, header, PAYLOAD)).toBe(byJose);
  });

  it('refuses a key that cannot sign for the algorithm', async () => {
    const rsa = await keysOf('RS256');
    const hmac = await keysOf('HS256');
    const header = { alg: 'RS256', kid: rsa.kid, typ: 'at+jwt' };
    expect(() => signCompact('RS256', rsa.verifyKey, header, PAYLOAD)).toThrow(TypeError); // the public key
    expect(() => signCompact('RS256', hmac.signingKey, header, PAYLOAD)).toThrow(TypeError); // secret bytes
    expect(() => signCompact('HS256', rsa.signingKey, header, PAYLOAD)).toThrow(TypeError);
    // A P-256 key asked for RS256: an ECDSA signature under an RS256 header would be a broken token.
    const ec = await importJWK((await generateSigningKey('ES256')).privateJwk, 'ES256');
    expect(() => signCompact('RS256', ec, header, PAYLOAD)).toThrow();
  });
});

describe('signCompactOnPool', () => {
  it.each(ALGORITHMS)('%s: jose verifies the token signed on the pool', async (alg) => {
    const { kid, signingKey, verifyKey } = await keysOf(alg);
    const header = { alg, kid, typ: 'at+jwt' };
    const token = await signCompactOnPool(alg, signingKey, header, PAYLOAD);
    const { payload, protectedHeader } = await compactVerify(token, verifyKey, { algorithms: [alg] });
    expect(protectedHeader).toEqual(header);
    expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toEqual(PAYLOAD);
  });

  it.each(['RS256', 'EdDSA', 'HS256'] as const)('%s: the very token signCompact makes (deterministic signatures)', async (alg) => {
    const { kid, signingKey } = await keysOf(alg);
    const header = { alg, kid, typ: 'at+jwt' };
    await expect(signCompactOnPool(alg, signingKey, header, PAYLOAD)).resolves.toBe(signCompact(alg, signingKey, header, PAYLOAD));
  });

  it('rejects with a TypeError for a key that cannot sign for the algorithm, as signCompact throws', async () => {
    const rsa = await keysOf('RS256');
    const hmac = await keysOf('HS256');
    const header = { alg: 'RS256', kid: rsa.kid, typ: 'at+jwt' };
    await expect(signCompactOnPool('RS256', rsa.verifyKey, header, PAYLOAD)).rejects.toThrow(TypeError);
    await expect(signCompactOnPool('RS256', hmac.signingKey, header, PAYLOAD)).rejects.toThrow(TypeError);
    await expect(signCompactOnPool('HS256', rsa.signingKey, header, PAYLOAD)).rejects.toThrow(TypeError);
  });
});
