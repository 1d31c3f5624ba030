// Refresh: a pool of live refresh tokens (seeded sessions, each with its first token), each
// answer's successor put back. Tessera through POST /api/auth/refresh (JSON) and POST /oauth/token
// (grant_type=refresh_token, form), bench/floors/refresh.mjs, and the peer (oidc-provider on
// PostgreSQL, bench/peer/oidc-provider.mjs) through its token endpoint; and two bounds of the same
// job without the rest of the service (bench/bounds/), at the small size.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectCall, freshDatabase, measure, ROOT, tokenPool, withServer } from '../harness.mjs';
import { seededToken } from '../seed.mjs';

export const POOL = 256; // tokens per measurement: far more than the 16 requests in flight
export const PEER_ENTRY = join(ROOT, 'bench/peer/oidc-provider.mjs');
const JSON_HEADERS = { 'content-type': 'application/json' };
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

const jsonRefresh = (port, tokens) => ({
  url: `http://127.0.0.1:${port}`,
  requests: [tokenPool(tokens).request({ path: '/api/auth/refresh', headers: JSON_HEADERS, body: (token) => JSON.stringify({ refresh_token: token }) })],
});
const formRefresh = (port, path, tokens, extra = {}) => ({
  url: `http://127.0.0.1:${port}`,
  requests: [tokenPool(tokens).request({ path, headers: FORM_HEADERS, body: (token) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, ...extra }).toString() })],
});

export const service = (ctx, tessera) => measure(tessera.child.pid, jsonRefresh(tessera.port, ctx.slots(POOL).map(seededToken)), 200);
export const oauth = (ctx, tessera) => measure(tessera.child.pid, formRefresh(tessera.port, '/oauth/token', ctx.slots(POOL).map(seededToken)), 200);

/** A refresh server of the bench's own (a floor, a bound) on the run's database, measured through /api/auth/refresh. */
const ownServer = (ctx, label, file) =>
  withServer(label, [join(ROOT, file)], { DATABASE_URL: ctx.databaseUrl }, ({ child, port }) =>
    measure(child.pid, jsonRefresh(port, ctx.slots(POOL).map(seededToken)), 200),
  );

export const floor = (ctx) => ownServer(ctx, 'refresh floor', 'bench/floors/refresh.mjs');

/**
 * A bound (bench/bounds/): Tessera's one-statement rotation and signature alone, on node:http
 * (`http`) or in a bare Nest + Fastify app with the service's ValidationPipe (`nest`).
 */
export const bound = (ctx, kind) => ownServer(ctx, `refresh bound (${kind})`, `bench/bounds/refresh-${kind}.mjs`);

/** The peer on its own database; null when bench/peer/oidc-provider.mjs is not there. */
export async function peer(ctx) {
  if (!existsSync(PEER_ENTRY)) return null;
  ctx.peerDatabaseUrl ??= await freshDatabase('peer');
  // PEER_OPENID=0: a refresh signs an access token only, as Tessera's does (no ID token).
  const env = { NODE_ENV: 'production', DATABASE_URL: ctx.peerDatabaseUrl, PORT: '0', PEER_OPENID: '0' };
  return withServer('peer (oidc-provider)', [PEER_ENTRY], env, async ({ child, port }) => {
    const { refresh_tokens: tokens } = await expectCall(200, port, 'POST', '/__bench/mint', { count: POOL });
    if (!Array.isArray(tokens) || tokens.length !== POOL) throw new Error(`peer: /__bench/mint gave ${tokens?.length} tokens, not ${POOL}`);
    return measure(child.pid, formRefresh(port, '/token', tokens, { client_id: 'bench', client_secret: 'bench-secret' }), 200);
  });
}
