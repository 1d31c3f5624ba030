// Throughput sanity check of the benchmark peer (bench/peer/oidc-provider.mjs): autocannon on its
// token endpoint, refresh_token grant, 16 connections, 10 s after a warm-up (bench/harness.mjs),
// with a pool of minted refresh tokens: each request takes one from the pool, each 200 puts the
// successor back (a pool of 500 against 16 in flight: no two requests present the same token, so no
// reuse revocations). Twice: scope `openid` (an ID token signed per refresh) and PEER_OPENID=0.
// Run: `node bench/peer/throughput.mjs [--quick]` (BENCH_SECONDS, BENCH_WARMUP, BENCH_CPU_PROF=1).
import { loadavg } from 'node:os';
import pg from 'pg';
import { call, cleanup, freshDatabase, measure, round, start, stop, table } from '../harness.mjs';

const PEER = 'bench/peer/oidc-provider.mjs';
const POOL = Number(process.env.PEER_POOL ?? 500);

async function run(label, databaseUrl, openid) {
  const { child, port } = await start(label, [PEER], { DATABASE_URL: databaseUrl, PORT: '0', NODE_ENV: 'production', PEER_OPENID: openid ? '1' : '0' });
  try {
    const minted = await call(port, 'POST', '/__bench/mint', { count: POOL });
    if (minted.status !== 200) throw new Error(`mint answered ${minted.status}: ${JSON.stringify(minted.json)}`);
    const pool = minted.json.refresh_tokens;
    const form = (token) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: 'bench', client_secret: 'bench-secret' }).toString();
    const options = {
      url: `http://127.0.0.1:${port}`,
      requests: [
        {
          method: 'POST',
          path: '/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          setupRequest: (req) => ({ ...req, body: form(pool.shift()) }),
          onResponse: (status, body) => {
            if (status === 200) pool.push(JSON.parse(body).refresh_token);
          },
        },
      ],
    };
    const load1 = round(loadavg()[0], 2);
    const result = await measure(child.pid, options, 200);
    // No grant may have been revoked (a token presented twice would revoke one): POOL grants per run.
    const db = new pg.Client(databaseUrl);
    await db.connect();
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM oidc_payloads WHERE model = 'Grant'`).finally(() => db.end());
    return { ...result, load1, poolLeft: pool.length, grants: rows[0].n };
  } finally {
    await stop(child);
  }
}

try {
  const databaseUrl = await freshDatabase('peer_tput');
  const rows = [
    ['oidc-provider refresh (openid: AT + ID token)', await run('peer-openid', databaseUrl, true)],
    ['oidc-provider refresh (PEER_OPENID=0: AT)', await run('peer-no-openid', databaseUrl, false)],
  ];
  table('POST /token grant_type=refresh_token, oidc-provider on PostgreSQL', rows);
  for (const [name, r] of rows) console.log(`${name}: load average (1 min) at start ${r.load1}, tokens left in the pool ${r.poolLeft}/${POOL}, grants in the table ${r.grants}`);
  if (rows.some(([, r], i) => r.errors > 0 || !r.requests || r.grants !== POOL * (i + 1))) process.exitCode = 1;
} finally {
  await cleanup();
}
