/** Small HTTP servers on 127.0.0.1 that the verifier's tests control: an issuer's JWKS and its revocation feed. */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';

export const ISSUER = 'https://id.tessera.test';
export const AUDIENCE = 'orders-api';

export interface TestServer {
  url: string;
  /** Requests received so far. */
  requests: IncomingMessage[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function serve(handler: Handler): Promise<TestServer> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function signingKey(alg: SigningKey['alg'] = 'ES256', kid = `key-${randomUUID()}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An issuer's JWKS endpoint, as Tessera serves it (max-age 300); `keys` may change between requests. */
export async function jwksServer(keys: SigningKey[], mode: { hang?: boolean } = {}): Promise<TestServer & { keys: SigningKey[] }> {
  const state = { keys };
  const server = await serve((_req, res) => {
    if (mode.hang) return; // accepts, never answers
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
    res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  return Object.assign(server, state);
}

export function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER, sub: randomUUID(), aud: AUDIENCE, exp: now + 900, iat: now, jti: randomUUID(),
    sid: randomUUID(), client_id: 'tessera', roles: ['user'], ...extra,
  };
}

/** A token as Tessera signs it; `header` and `payload` add to or override (undefined removes) members. */
export function token(key: SigningKey, payload: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const protectedHeader = JSON.parse(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }));
  return new SignJWT(JSON.parse(JSON.stringify(claims(payload)))).setProtectedHeader(protectedHeader).sign(key.privateKey);
}

/** Waits until `predicate` holds, checking every 10 ms, or fails after `ms`. */
export async function eventually(predicate: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
