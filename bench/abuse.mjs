// Abuse-resistance benchmark (issue 10), on a fresh PostgreSQL database, counters in process:
// (a) a locked flood: one identifier + address pair locked (LOCKOUT_THRESHOLD=5), then login for that
//     pair hammered: requests/s of the 429 `account_locked` answers, against a bare node:http floor
//     that reads the body and answers the same fixed 429 JSON;
// (b) successful logins with the limits on but never reached (RATE_LIMIT_LOGIN=1000000, lockout
//     thresholds at their maximum) against the limits off (0): target within 5 %. A pool of users
//     (so that per-user row locks do not serialise the clients), the same argon2 cost in both, and
//     the two configurations alternated off, on, on, off so that drift on a shared machine cancels.
// Run: `node bench/abuse.mjs [--quick]` (BENCH_SECONDS: per measured window, halved in (b)).
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AUTH_ENTRY, DURATION_S, QUICK, ROOT, call, cleanup, freshDatabase, measure, round, serviceEnv, start, stop, table,
} from './harness.mjs';

const PASSWORD = 'bench passphrase 2026';
const POOL = 64; // users logged in round robin: 4 per connection, so no two clients wait on one row lock
// The refresh bench's argon2 cost, in every configuration: a cheaper hash makes the limiter's own
// cost a larger part of a login, so the comparison is stricter than at the default cost.
const ARGON2 = { ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1' };
const LIMITS_OFF = { RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0', LOCKOUT_THRESHOLD: '0', LOCKOUT_IDENTIFIER_THRESHOLD: '0' };
const LIMITS_ON = { RATE_LIMIT_LOGIN: '1000000', RATE_LIMIT_REFRESH: '1000000', RATE_LIMIT_REGISTER: '1000000', LOCKOUT_THRESHOLD: '1000', LOCKOUT_IDENTIFIER_THRESHOLD: '100000' };
const json = { 'content-type': 'application/json' };

/** (a) The service with a locked pair, then the floor, each flooded with the locked login. */
async function lockedFlood(databaseUrl) {
  const env = serviceEnv(databaseUrl, { ...ARGON2, RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REGISTER: '0', LOCKOUT_THRESHOLD: '5', LOCKOUT_IDENTIFIER_THRESHOLD: '100000' });
  const { child, port } = await start('auth service (lockout)', [AUTH_ENTRY], env);
  const email = `locked-${process.pid}@example.com`;
  const registered = await call(port, 'POST', '/api/auth/register', { email, password: PASSWORD });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.json)}`);
  const wrong = { email, password: 'not the passphrase at all' };
  for (let i = 0; i < 5; i++) await call(port, 'POST', '/api/auth/login', wrong);
  // The right password too is refused while locked: that is what the flood sends.
  const locked = await call(port, 'POST', '/api/auth/login', { email, password: PASSWORD });
  if (locked.status !== 429 || locked.json?.error !== 'account_locked') throw new Error(`the pair is not locked: ${locked.status} ${JSON.stringify(locked.json)}`);
  const flood = { url: `http://127.0.0.1:${port}/api/auth/login`, method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) };
  const service = await measure(child.pid, flood, 429);
  const stillLocked = await call(port, 'POST', '/api/auth/login', { email, password: PASSWORD });
  if (stillLocked.status !== 429) throw new Error(`the lock ended during the flood (${stillLocked.status}): the window is longer than the lock`);
  await stop(child);

  const floorRun = await start('floor (429)', [fileURLToPath(import.meta.url), '--floor'], { FLOOR_BODY: JSON.stringify(locked.json), FLOOR_RETRY_AFTER: locked.headers.get('retry-after') ?? '60' });
  const floor = await measure(floorRun.child.pid, { ...flood, url: `http://127.0.0.1:${floorRun.port}/api/auth/login` }, 429);
  await stop(floorRun.child);
  return { service, floor, ratio: round(service.rps / floor.rps, 2) };
}

/** (b) Successful logins over a pool of users, limits off and on, alternated off, on, on, off. */
async function loginWithLimits(databaseUrl) {
  const setup = await start('auth service (set-up)', [AUTH_ENTRY], serviceEnv(databaseUrl, { ...ARGON2, ...LIMITS_OFF }));
  const bodies = [];
  for (let i = 0; i < POOL; i++) bodies.push(JSON.stringify({ email: `pool-${i}-${process.pid}@example.com`, password: PASSWORD }));
  await Promise.all(bodies.map(async (body) => {
    const res = await call(setup.port, 'POST', '/api/auth/register', JSON.parse(body));
    if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.json)}`);
  }));
  await stop(setup.child);

  let next = 0;
  const seconds = QUICK ? DURATION_S : DURATION_S / 2; // two windows per configuration
  const windows = { off: [], on: [] };
  for (const name of ['off', 'on', 'on', 'off']) {
    const { child, port } = await start(`auth service (limits ${name})`, [AUTH_ENTRY], serviceEnv(databaseUrl, { ...ARGON2, ...(name === 'on' ? LIMITS_ON : LIMITS_OFF) }));
    const request = { method: 'POST', path: '/api/auth/login', headers: json, setupRequest: (req) => ({ ...req, body: bodies[next++ % POOL] }) };
    windows[name].push(await measure(child.pid, { url: `http://127.0.0.1:${port}`, requests: [request] }, 200, seconds));
    await stop(child);
  }
  const merge = (list) => ({
    rps: round(list.reduce((n, r) => n + r.rps, 0) / list.length),
    p50: round(list.reduce((n, r) => n + r.p50, 0) / list.length),
    p99: Math.max(...list.map((r) => r.p99)),
    cpuMsPerReq: round(list.reduce((n, r) => n + r.cpuMsPerReq, 0) / list.length, 3),
    errors: list.reduce((n, r) => n + r.errors, 0),
    windows: list.map((r) => r.rps),
  });
  const off = merge(windows.off);
  const on = merge(windows.on);
  return { off, on, ratio: round(on.rps / off.rps, 3) };
}

async function main() {
  const results = { at: new Date().toISOString(), node: process.version, quick: QUICK, argon2: ARGON2, pool: POOL };
  results.lockedFlood = await lockedFlood(await freshDatabase('locked'));
  results.login = await loginWithLimits(await freshDatabase('limits'));
  table('(a) POST /api/auth/login for a locked identifier + address pair, 429 account_locked', [
    ['service (lockout, in-process counters)', results.lockedFlood.service],
    ['floor (node:http, fixed 429 JSON)', results.lockedFlood.floor],
  ]);
  console.log(`\nlocked flood, service / floor: ${results.lockedFlood.ratio}`);
  table(`(b) successful POST /api/auth/login, ${POOL} users, argon2id 1 MiB t=1 (p50: mean of windows, p99: worst)`, [
    [`limits off (0)       windows ${results.login.off.windows.join(', ')}`, results.login.off],
    [`limits on, not hit   windows ${results.login.on.windows.join(', ')}`, results.login.on],
  ]);
  console.log(`\nlogin, limits on / limits off: ${results.login.ratio} (target ≥ 0.95)`);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/abuse${QUICK ? '-quick' : ''}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const { lockedFlood: a, login: b } = results;
  if (a.service.errors || a.floor.errors || b.off.errors || b.on.errors) process.exitCode = 1;
}

/** The floor of (a): reads the request, answers the service's own 429 body and Retry-After. */
function floor() {
  const body = process.env.FLOOR_BODY;
  const headers = { 'content-type': 'application/json; charset=utf-8', 'retry-after': process.env.FLOOR_RETRY_AFTER, 'content-length': Buffer.byteLength(body) };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(429, headers).end(body));
  });
  server.listen(0, '127.0.0.1', () => console.log(`floor listening on http://127.0.0.1:${server.address().port}`));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

if (process.argv.includes('--floor')) {
  floor();
} else {
  try {
    await main();
  } finally {
    await cleanup();
  }
}
