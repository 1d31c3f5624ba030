// Refresh: a pool of live refresh tokens (seeded sessions, each with its first token), each
// answer's successor put back. Tessera through POST /api/auth/refresh (JSON) and POST /oauth/token
// (grant_type=refresh_token, form), bench/floors/refresh.mjs, and the peer (oidc-provider on
// PostgreSQL, bench/peer/oidc-provider.mjs) through its token endpoint; and two bounds of the same
// job without the rest of the service (bench/bounds/), at the small size. Each function gives a
// contender of the group bench/run.mjs measures in turn (harness.mjs, measureGroup).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { expectCall, freshDatabase, ROOT, startContender, tokenPool } from '../harness.mjs';
import { seededToken } from '../seed.mjs';
import { defaultPoolThreads } from '../../scripts/start-command.mjs';

// Tokens per contender: far more than the 16 requests in flight, and than the tokens lost each time
// autocannon stops (warm-up, each slice: the requests in flight and those built to be sent next,
// whose successors never come back; up to 2 × 16 each).
export const POOL = 512;
export const PEER_ENTRY = join(ROOT, 'bench/peer/oidc-provider.mjs');
const JSON_HEADERS = { 'content-type': 'application/json' };
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

const jsonRefresh = (port, tokens) => ({
  options: {
    url: `http://127.0.0.1:${port}`,
    requests: [tokenPool(tokens).request({ path: '/api/auth/refresh', headers: JSON_HEADERS, body: (token) => JSON.stringify({ refresh_token: token }) })],
  },
  expected: 200,
});
const formRefresh = (port, path, tokens, extra = {}) => ({
  options: {
    url: `http://127.0.0.1:${port}`,
    requests: [tokenPool(tokens).request({ path, headers: FORM_HEADERS, body: (token) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, ...extra }).toString() })],
  },
  expected: 200,
});

export const service = async (ctx, tessera) => ({ pid: tessera.child.pid, ...jsonRefresh(tessera.port, ctx.slots(POOL).map(seededToken)) });
export const oauth = async (ctx, tessera) => ({ pid: tessera.child.pid, ...formRefresh(tessera.port, '/oauth/token', ctx.slots(POOL).map(seededToken)) });

/** A refresh server of the bench's own (a floor, a bound) on the size's database, loaded through /api/auth/refresh. */
const ownServer = (ctx, label, file, env = {}) =>
  startContender(label, [join(ROOT, file)], { DATABASE_URL: ctx.databaseUrl, ...env }, ({ port }) => jsonRefresh(port, ctx.slots(POOL).map(seededToken)));

export const floor = (ctx) => ownServer(ctx, `refresh floor [${ctx.size}]`, 'bench/floors/refresh.mjs');

/**
 * A bound (bench/bounds/): Tessera's one-statement rotation and signature alone, on node:http
 * (`http`) or in a bare Nest + Fastify app with the service's ValidationPipe (`nest`); its signature
 * on a libuv pool as large as `npm start` gives the service (scripts/start-command.mjs).
 */
export const bound = (ctx, kind) =>
  ownServer(ctx, `refresh bound (${kind})`, `bench/bounds/refresh-${kind}.mjs`, { UV_THREADPOOL_SIZE: String(defaultPoolThreads(availableParallelism())) });

/** The peer on its own database (one for the whole bench); null when bench/peer/oidc-provider.mjs is not there. */
export async function peer(ctx) {
  if (!existsSync(PEER_ENTRY)) return null;
  ctx.shared.peerDatabaseUrl ??= await freshDatabase('peer');
  // PEER_OPENID=0: a refresh signs an access token only, as Tessera's does (no ID token).
  const env = { NODE_ENV: 'production', DATABASE_URL: ctx.shared.peerDatabaseUrl, PORT: '0', PEER_OPENID: '0' };
  return startContender('peer (oidc-provider)', [PEER_ENTRY], env, async ({ port }) => {
    const { refresh_tokens: tokens } = await expectCall(200, port, 'POST', '/__bench/mint', { count: POOL });
    if (!Array.isArray(tokens) || tokens.length !== POOL) throw new Error(`peer: /__bench/mint gave ${tokens?.length} tokens, not ${POOL}`);
    return formRefresh(port, '/token', tokens, { client_id: 'bench', client_secret: 'bench-secret' });
  });
}
