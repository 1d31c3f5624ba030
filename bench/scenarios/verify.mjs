// Verifying an access token: GET /api/auth/me on Tessera against bench/floors/verify.mjs with
// FLOOR_ME=1 (jose + one pg read by primary key), and GET /api/hello on the example API (Nest +
// Fastify + @tessera/verifier's guard, the revocation feed polled every second) against the same
// floor without the read (jose alone). One token, issued by Tessera, for all four. Each function
// gives a contender of the group bench/run.mjs measures in turn (harness.mjs, measureGroup).
import { join } from 'node:path';
import { EXAMPLE_ENTRY, expectCall, ROOT, startContender } from '../harness.mjs';
import { AUDIENCE, ISSUER } from './tessera.mjs';

const CLOCK_TOLERANCE_S = 5; // the example API's default
const bearer = (tessera) => ({ authorization: `Bearer ${tessera.accessToken}` });
const load = (port, path, tessera) => ({ options: { url: `http://127.0.0.1:${port}${path}`, headers: bearer(tessera) }, expected: 200 });

export const me = async (ctx, tessera) => ({ pid: tessera.child.pid, ...load(tessera.port, '/api/auth/me', tessera) });

/** The example API, while `tessera` runs (its JWKS and revocation feed). */
export async function exampleApi(ctx, tessera) {
  const base = `http://127.0.0.1:${tessera.port}`;
  const env = {
    NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_JWKS_URI: `${base}/.well-known/jwks.json`,
    AUTH_CLOCK_TOLERANCE: String(CLOCK_TOLERANCE_S), AUTH_REVOCATIONS_URL: `${base}/api/auth/revocations`, AUTH_REVOCATIONS_INTERVAL_MS: '1000',
  };
  return startContender('example API', [EXAMPLE_ENTRY], env, (server) => checked(server, '/api/hello', tessera));
}

/** The floor of /me (withRead) or of /api/hello, alone (the JWKS is handed over whole). */
export async function floor(ctx, tessera, withRead) {
  const path = withRead ? '/api/auth/me' : '/api/hello';
  const env = {
    FLOOR_JWKS: JSON.stringify(tessera.jwks), FLOOR_ISSUER: ISSUER, FLOOR_AUDIENCE: AUDIENCE, FLOOR_CLOCK_TOLERANCE: String(CLOCK_TOLERANCE_S),
    ...(withRead ? { FLOOR_ME: '1', DATABASE_URL: ctx.databaseUrl } : {}),
  };
  return startContender(withRead ? 'me floor' : 'verify floor', [join(ROOT, 'bench/floors/verify.mjs')], env, (server) => checked(server, path, tessera));
}

/** Before anything is measured, the token is accepted and a forged signature is not; then GET `path` is the load. */
async function checked({ port }, path, tessera) {
  await expectCall(200, port, 'GET', path, undefined, bearer(tessera));
  await expectCall(401, port, 'GET', path, undefined, { authorization: `Bearer ${tessera.accessToken.slice(0, -4)}AAAA` });
  return load(port, path, tessera);
}
