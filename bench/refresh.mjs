// Refresh benchmark: throughput and latency of POST /api/auth/refresh on PostgreSQL with 16
// concurrent clients, beside the same figure for the floor (bench/refresh-floor.mjs: the same
// locked rotation on bare node:http + pg). Goal: service ≥ 0.6 × floor.
// Each client owns one session and walks its own token chain (refresh → use the returned token
// next), so clients never contend for a row lock: what is measured is the cost of one rotation.
// Run: `node bench/refresh.mjs` (BENCH_SECONDS, BENCH_WARMUP, BENCH_CPU_PROF=1 to profile each
// target into bench/results/prof/). JSON in bench/results/refresh.json.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { seedChains } from './refresh-floor.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'dist/apps/auth-service/apps/auth-service/src/main.js');
const FLOOR = join(ROOT, 'bench/refresh-floor.mjs');
const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const CLIENTS = 16;
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 2); // JIT, pool connections, prepared caches
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const PASSWORD = 'bench passphrase 2026';
const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000; // a hung request fails the run instead of hanging it
const DB_NAME = `tessera_bench_refresh_${process.pid}`;
const DB_URL = `postgres://postgres@127.0.0.1:5432/${DB_NAME}`;

const children = new Set();

/** Spawns node and resolves with the port once it prints its "listening on" line. */
function start(label, args, env) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not listening after ${START_TIMEOUT_MS} ms\n${output}`)), START_TIMEOUT_MS);
    // Keep reading both pipes for the child's whole life: a full pipe would stall it mid-run.
    child.stderr.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
    child.stdout.on('data', (chunk) => {
      output = (output + chunk).slice(-4000);
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) clearTimeout(timer), resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`${label} exited (${signal ?? code})\n${output}`))));
  });
}

/** SIGTERM (the service drains and, with --cpu-prof, writes its profile), SIGKILL if it lingers. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function post(agent, port, path, payload) {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: '127.0.0.1', port, path, method: 'POST', timeout: REQUEST_TIMEOUT_MS, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* a non-JSON answer is a failure below */
          }
          resolve({ status: res.statusCode, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** One user and one login per client through the service's own API: 16 sessions, 16 chains. */
async function loginChains(port) {
  const agent = new http.Agent({ keepAlive: true });
  const chains = [];
  for (let i = 0; i < CLIENTS; i++) {
    const credentials = { email: `bench-${i}-${randomBytes(4).toString('hex')}@example.com`, password: PASSWORD };
    const registered = await post(agent, port, '/api/auth/register', credentials);
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.json)}`);
    const login = await post(agent, port, '/api/auth/login', credentials);
    if (login.status !== 200) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.json)}`);
    const { sid } = JSON.parse(Buffer.from(login.json.access_token.split('.')[1], 'base64url'));
    chains.push({ sessionId: sid, refreshToken: login.json.refresh_token });
  }
  agent.destroy();
  return chains;
}

/** 16 clients, each looping refresh on its chain: warm-up, then DURATION_S measured. */
/** CPU seconds (user + system) a process has used: less sensitive to a busy machine than throughput. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
}

async function load(port, pid, chains) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies = [];
  const failures = {}; // status (or error) → count, warm-up included: every refresh must answer 200
  let rotations = 0; // successful refreshes, warm-up included, to check against the database
  const measureFrom = performance.now() + WARMUP_S * 1000;
  const until = measureFrom + DURATION_S * 1000;
  let lastDone = measureFrom;
  let cpuFrom;
  const sample = setTimeout(() => (cpuFrom = cpuSeconds(pid)), WARMUP_S * 1000);
  await Promise.all(
    chains.map(async (chain) => {
      let token = chain.refreshToken;
      while (performance.now() < until) {
        const t0 = performance.now();
        const res = await post(agent, port, '/api/auth/refresh', { refresh_token: token }).catch((error) => ({ status: error.message, json: null }));
        const t1 = performance.now();
        const next = res.json?.refresh_token;
        const ok = res.status === 200 && typeof res.json?.access_token === 'string' && typeof next === 'string' && next !== token;
        if (!ok) {
          const key = res.status === 200 ? '200 with a bad body' : String(res.status);
          failures[key] = (failures[key] ?? 0) + 1;
          return; // the chain is broken (or revoked as a reuse): this client cannot go on
        }
        token = next;
        rotations++;
        if (t0 >= measureFrom) latencies.push(t1 - t0), (lastDone = Math.max(lastDone, t1));
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q) => round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN);
  // Requests started before `until` finish after it: divide by the time the last one took to end.
  clearTimeout(sample);
  const seconds = (lastDone - measureFrom) / 1000;
  const cpuMsPerRefresh = cpuFrom === undefined ? NaN : round(((cpuSeconds(pid) - cpuFrom) * 1000) / latencies.length);
  return { throughput: round(latencies.length / seconds), cpuMsPerRefresh, p50: pct(0.5), p99: pct(0.99), max: pct(1), measured: latencies.length, rotations, failures };
}

/** The database must agree with the clients: one used token per rotation, one unused per chain. */
async function verify(db, chains, rotations) {
  const { rows } = await db.query(
    `SELECT count(*) FILTER (WHERE used_at IS NOT NULL)::int AS used, count(*) FILTER (WHERE used_at IS NULL)::int AS live
       FROM refresh_tokens WHERE session_id = ANY($1::uuid[])`,
    [chains.map((c) => c.sessionId)],
  );
  return { consistent: rows[0].used === rotations && rows[0].live === chains.length, ...rows[0] };
}

async function run(db, label, args, env, chains) {
  const { child, port } = await start(label, args, env);
  await db.query('CHECKPOINT'); // so that no checkpoint of the set-up writes lands in the window
  // Shown to judge noise on 2 shared cores; it also counts this bench's own previous phase.
  const load1 = round(loadavg()[0]);
  const result = await load(port, child.pid, chains);
  await stop(child);
  return { ...result, load1, check: await verify(db, chains, result.rotations) };
}

const round = (n) => Math.round(n * 100) / 100;

let dropped = false;
async function dropDatabase() {
  if (dropped) return;
  dropped = true;
  const admin = new pg.Client(PG_ADMIN_URL);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`).finally(() => admin.end());
}

async function main() {
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const admin = new pg.Client(PG_ADMIN_URL);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  const db = new pg.Client(DB_URL);
  try {
    const serviceEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: DB_URL,
      KEYS_ENCRYPTION_SECRET: randomBytes(36).toString('base64'), // 48 chars
      ARGON2_MEMORY_KIB: '1024', // set-up logins only; a refresh hashes no password
      ARGON2_ITERATIONS: '1',
      REFRESH_REUSE_GRACE: '0',
      RATE_LIMIT_LOGIN: '1000000', // the limits at their maximum: this measures refresh, not the limiter
      RATE_LIMIT_REFRESH: '1000000',
      RATE_LIMIT_REGISTER: '1000000', // 16 set-up registrations from one address
    };
    const profile = (name) => (process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results/prof')}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
    // The service first: it runs the migrations that create the schema the floor shares.
    const { child, port } = await start('service', [ENTRY], serviceEnv);
    const serviceChains = await loginChains(port);
    await stop(child);
    await db.connect();
    const results = { clients: CLIENTS, warmupSeconds: WARMUP_S, seconds: DURATION_S, at: new Date().toISOString() };
    results.service = await run(db, 'service', [...profile('service'), ENTRY], serviceEnv, serviceChains);
    const floorEnv = (full) => ({ PATH: process.env.PATH, DATABASE_URL: DB_URL, FLOOR_FULL: full ? '1' : '0' });
    results.floor = await run(db, 'floor', [...profile('floor'), FLOOR], floorEnv(false), await seedChains(db, CLIENTS));
    results.floorFull = await run(db, 'floor (full)', [...profile('floor-full'), FLOOR], floorEnv(true), await seedChains(db, CLIENTS));
    results.ratio = round(results.service.throughput / results.floor.throughput);
    results.ratioFull = round(results.service.throughput / results.floorFull.throughput);

    const rows = [['service', results.service], ['floor', results.floor], ['floor + log row + user read', results.floorFull]];
    console.log(`\nPOST /api/auth/refresh, PostgreSQL, ${CLIENTS} clients, ${DURATION_S} s after ${WARMUP_S} s warm-up\n`);
    console.log(`${'target'.padEnd(30)}${'refresh/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'cpu ms/req'.padStart(11)}${'non-200'.padStart(9)}  db check`);
    for (const [name, r] of rows) {
      const failed = Object.values(r.failures).reduce((a, b) => a + b, 0);
      const check = r.check.consistent ? 'ok' : `MISMATCH used=${r.check.used}/${r.rotations} live=${r.check.live}`;
      console.log(`${name.padEnd(30)}${String(r.throughput).padStart(10)}${String(r.p50).padStart(9)}${String(r.p99).padStart(9)}${String(r.cpuMsPerRefresh).padStart(11)}${String(failed).padStart(9)}  ${check}`);
    }
    console.log(`\nservice / floor: ${results.ratio} (goal ≥ 0.6); service / floor (full): ${results.ratioFull}`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/refresh.json'), `${JSON.stringify(results, null, 2)}\n`);
    const broken = rows.some(([, r]) => Object.keys(r.failures).length > 0 || !r.check.consistent);
    if (broken) process.exitCode = 1;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await db.end().catch(() => {});
    await dropDatabase();
  }
}

// Ctrl-C: no child and no database left behind.
process.once('SIGINT', () => {
  for (const child of children) child.kill('SIGKILL');
  dropDatabase().finally(() => process.exit(130));
});

main().catch((error) => {
  console.error(error);
  for (const child of children) child.kill('SIGKILL');
  process.exitCode = 1;
});
