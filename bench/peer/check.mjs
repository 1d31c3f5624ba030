// Self-check of the benchmark peer (bench/peer/oidc-provider.mjs); not part of the jest suite.
// A fresh database, the peer, two minted refresh tokens, then through its token endpoint: a refresh
// rotates and returns an RS256 JWT access token that verifies against the peer's JWKS; the old token
// presented again is refused and revokes the grant, so its successor is refused too; the other
// grant is untouched. Then the same refresh on a peer started with PEER_OPENID=0 (no ID token).
// Run: `node bench/peer/check.mjs`; exits non-zero on any failure. Drops its database.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import pg from 'pg';
import { cleanup, freshDatabase, start, stop } from '../harness.mjs';

const PEER = 'bench/peer/oidc-provider.mjs';
const RESOURCE = 'https://api.example.test';
let failures = 0;

function check(ok, what, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  if (!ok) failures++;
}

async function mint(base, count) {
  const res = await fetch(`${base}/__bench/mint`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count }) });
  return { status: res.status, json: await res.json() };
}

async function refresh(base, refreshToken) {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'bench', client_secret: 'bench-secret' });
  const res = await fetch(`${base}/token`, { method: 'POST', body });
  return { status: res.status, json: await res.json() };
}

/** A 200 with a new refresh token and an RS256 JWT access token that verifies on the peer's JWKS. */
async function checkRotation(base, old, label) {
  const res = await refresh(base, old);
  check(res.status === 200, `${label}: refresh answers 200`, res);
  const next = res.json.refresh_token;
  check(typeof next === 'string' && next.length > 0 && next !== old, `${label}: a new refresh token, different from the old`, next);
  const accessToken = res.json.access_token;
  const header = typeof accessToken === 'string' && accessToken.split('.').length === 3 ? decodeProtectedHeader(accessToken) : {};
  check(header.alg === 'RS256', `${label}: the access token is a JWS with alg RS256`, header);
  check(res.json.expires_in === 900, `${label}: expires_in 900`, res.json.expires_in);
  try {
    const jwks = createRemoteJWKSet(new URL(`${base}/jwks`));
    const { payload } = await jwtVerify(accessToken, jwks, { issuer: base, audience: RESOURCE, algorithms: ['RS256'], typ: 'at+jwt' });
    check(payload.client_id === 'bench' && payload.sub?.startsWith('acct-') && payload.scope === 'api:read', `${label}: verifies with jose on ${base}/jwks (iss, aud ${RESOURCE}, sub, scope api:read)`, payload);
  } catch (error) {
    check(false, `${label}: verifies with jose on ${base}/jwks`, error.message);
  }
  return { next, json: res.json };
}

async function main() {
  const databaseUrl = await freshDatabase('peer_check');
  const env = { DATABASE_URL: databaseUrl, PORT: '0', NODE_ENV: 'production' };
  const db = new pg.Client(databaseUrl);
  try {
    const { child, port } = await start('oidc-provider peer', [PEER], env);
    const base = `http://127.0.0.1:${port}`;
    await db.connect();

    const discovery = await (await fetch(`${base}/.well-known/openid-configuration`)).json();
    check(discovery.jwks_uri === `${base}/jwks` && discovery.token_endpoint === `${base}/token`, 'discovery: JWKS at /jwks, token endpoint at /token', discovery);
    const bad = await mint(base, 'two');
    check(bad.status === 400 && bad.json.error === 'bad_request', 'mint with a bad count answers 400', bad);

    const minted = await mint(base, 2);
    check(minted.status === 200 && minted.json.refresh_tokens?.length === 2, 'mint 2 answers 2 refresh tokens', minted);
    const [first, other] = minted.json.refresh_tokens;
    const { rows: grants } = await db.query(`SELECT id FROM oidc_payloads WHERE model = 'Grant'`);
    check(grants.length === 2, 'one Grant row per minted token', grants.length);

    const { next, json } = await checkRotation(base, first, 'openid');
    check(typeof json.id_token === 'string', 'openid: an ID token alongside (scope openid)', json);
    const { rows: stored } = await db.query(`SELECT model, count(*)::int AS n FROM oidc_payloads GROUP BY model ORDER BY model`);
    check(!stored.some((r) => r.model === 'AccessToken'), 'JWT access tokens are not stored', stored);

    const { rows: [{ grant_id: grantId }] } = await db.query(`SELECT grant_id FROM oidc_payloads WHERE model = 'RefreshToken' AND id = $1`, [first]);
    const { rows: chain } = await db.query(`SELECT consumed_at IS NOT NULL AS consumed FROM oidc_payloads WHERE model = 'RefreshToken' AND grant_id = $1 ORDER BY consumed`, [grantId]);
    check(chain.length === 2 && !chain[0].consumed && chain[1].consumed, 'the chain in the table: the old token consumed, its successor live', chain);

    const reuse = await refresh(base, first);
    check(reuse.status === 400 && reuse.json.error === 'invalid_grant', 'the old refresh token again: 400 invalid_grant', reuse);
    const successor = await refresh(base, next);
    check(successor.status === 400 && successor.json.error === 'invalid_grant', 'then its successor: 400 invalid_grant (grant revoked)', successor);
    const { rows: left } = await db.query(`SELECT model FROM oidc_payloads WHERE (model = 'Grant' AND id = $1) OR grant_id = $1`, [grantId]);
    check(left.length === 0, 'the revoked grant has no row left (Grant, RefreshToken)', left);
    await stop(child);

    // A second peer on the same database, minting without `openid`: the other grant still refreshes.
    const noOpenid = await start('oidc-provider peer (PEER_OPENID=0)', [PEER], { ...env, PEER_OPENID: '0' });
    const base2 = `http://127.0.0.1:${noOpenid.port}`;
    await checkRotation(base2, other, 'openid (other grant, second instance)');
    const [plain] = (await mint(base2, 1)).json.refresh_tokens;
    const res = await checkRotation(base2, plain, 'PEER_OPENID=0');
    check(res.json.id_token === undefined, 'PEER_OPENID=0: no ID token', res.json);
    await stop(noOpenid.child);
  } finally {
    await db.end().catch(() => {});
    await cleanup();
  }
  console.log(failures ? `\n${failures} check(s) failed` : '\nall checks passed');
  if (failures) process.exitCode = 1;
}

main().catch(async (error) => {
  console.error(error);
  await cleanup().catch(() => {});
  process.exitCode = 1;
});
