// What every floor shares: node:http, the body read whole, JSON answers, an RS256 signer made like
// the service's (key-material.ts: 2048-bit RSA through WebCrypto, jose), the clean stop, and the
// "listening on" line that harness.start() waits for. A floor is run as a child process, alone.
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { generateKeyPair, SignJWT } from 'jose';

export const ACCESS_TTL_S = 900; // the service's defaults (env.schema.ts)
export const REFRESH_TTL_S = 604_800;
export const SESSION_MAX_AGE_S = 2_592_000;
/**
 * The pool of every server of the bench's own: Tessera's (apps/auth-service/src/database/data-source.ts,
 * 10 connections closed after 30 s idle; pg's default closes them after 10 s), so that none
 * reconnects where Tessera would not between two of its slices (harness.mjs, measureGroup).
 */
export const POOL_OPTIONS = { max: 10, idleTimeoutMillis: 30_000 };

export function send(res, status, json) {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The request's body as text, then `handle(req, body)` → [status, json]; a throw answers 500. */
export function serve(name, handle, onStop = async () => {}) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () =>
      Promise.resolve()
        .then(() => handle(req, body))
        .then(([status, json]) => send(res, status, json), (error) => send(res, 500, { error: 'internal', message: String(error?.message) })),
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${name} floor listening on http://127.0.0.1:${server.address().port}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => onStop().then(() => process.exit(0)));
  });
}

/** An access token as access-token.service.ts makes it: RS256, typ at+jwt, the same claims. */
export async function accessTokenSigner() {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  return ({ sub, sid, roles }) => {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ sid, client_id: 'tessera', roles })
      .setProtectedHeader({ alg: 'RS256', kid: 'floor', typ: 'at+jwt' })
      .setIssuer('http://localhost:3000')
      .setSubject(sub)
      .setAudience('tessera')
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TTL_S)
      .setJti(randomUUID())
      .sign(privateKey);
  };
}

/** A refresh token's stored hash, as the service's hashRefreshToken makes it. */
export const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();

export function parseJson(body) {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

export const tokenResponse = (accessToken, refreshToken, refreshExpiresIn) => ({
  access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TTL_S, refresh_token: refreshToken, refresh_expires_in: refreshExpiresIn,
});
