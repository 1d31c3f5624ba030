// Foundation benchmark: start-up time and memory of the auth service on the embedded database
// (cold and warm) and on PostgreSQL, login and /me latency and throughput, and a "login floor":
// a bare node:http server doing only the argon2id verification, so login cost can be read as
// "argon2 + everything else". Run: `node bench/foundation.mjs` (JSON in bench/results/).
import { execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'dist/apps/auth-service/apps/auth-service/src/main.js');
const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 }; // the service's defaults (SPEC §6)
const EMAIL = 'bench@example.com';
const PASSWORD = `bench-${randomBytes(9).toString('base64url')}`; // random: never on the common-password list
const START_TIMEOUT_MS = 120_000; // a cold embedded start runs initdb in WASM: allow a slow machine
const STOP_TIMEOUT_MS = 30_000; // above main.ts's own 25 s forced exit
const REQUEST_TIMEOUT_MS = 15_000;
const LOAD_SECONDS = 5;

// ---- child processes ------------------------------------------------------------------------
const children = new Set();

/** Spawns node with `args` and resolves once it prints its "listening on" line. */
function startProcess(label, args, env) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const tail = []; // last lines of output, to explain a failed start
  let stdout = '';
  return new Promise((resolve, reject) => {
    const fail = (message) => {
      clearTimeout(timer);
      reject(new Error(`${label}: ${message}\n    ${tail.join('\n    ')}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const keep = (chunk) => {
      tail.push(...chunk.toString().split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
    };
    child.stderr.on('data', keep);
    child.stdout.on('data', (chunk) => {
      keep(chunk);
      if (stdout === null) return; // already listening: keep draining the pipe, nothing more
      stdout += chunk; // the line may arrive split across chunks
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (!match) return;
      stdout = null;
      clearTimeout(timer);
      resolve({ child, port: Number(match[1]), startMs: performance.now() - t0 });
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`));
  });
}

/** SIGTERM, as an orchestrator would; SIGKILL only if it does not exit in time. Returns ms to exit. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return 0;
  const t0 = performance.now();
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
  return performance.now() - t0;
}

/** VmRSS (now) and VmHWM (peak since start) of a process, in MiB. PGlite runs in-process, so it is counted. */
async function memory(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { rssMiB: round(kib('VmRSS') / 1024), peakMiB: round(kib('VmHWM') / 1024) };
}

/** CPU time (user + system, all threads: argon2 runs in libuv's pool) of a process, in ms. */
async function cpuMs(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(')').pop().trim().split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10 ms (USER_HZ 100)
}

// ---- HTTP client: node:http with keep-alive, lighter than fetch (the client shares the 2 cores) ----
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(port, method, path, { body, token } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {};
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function expect(status, responsePromise, what) {
  const res = await responsePromise;
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
  return res.text ? JSON.parse(res.text) : undefined;
}

// ---- measurements -----------------------------------------------------------------------------
const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Sequential latencies: at most `count` requests and `maxSeconds`, each must answer 200. */
async function latency(count, maxSeconds, send) {
  const times = [];
  const deadline = performance.now() + maxSeconds * 1000;
  while (times.length < count && performance.now() < deadline) {
    const t0 = performance.now();
    const res = await send();
    if (res.status !== 200) throw new Error(`latency run: got ${res.status}: ${res.text.slice(0, 300)}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const pct = (q) => round(times[Math.ceil(q * times.length) - 1], 2); // nearest rank
  return { n: times.length, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), mean: round(times.reduce((a, b) => a + b, 0) / times.length, 2) };
}

/** `clients` closed loops for `seconds` (and at most `maxRequests`); only 2xx answers count. */
async function throughput(pid, clients, seconds, maxRequests, send) {
  let ok = 0, failed = 0, started = 0;
  const cpu0 = await cpuMs(pid);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline && started < maxRequests) {
      started++;
      try {
        ((await send()).status < 300 ? ok++ : failed++);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const elapsed = (performance.now() - t0) / 1000; // includes the requests still in flight at the deadline
  // CPU per request says where a throughput gap comes from (PostgreSQL's own CPU is not in it).
  return { clients, rps: round(ok / elapsed), ok, failed, cpuMsPerRequest: round(((await cpuMs(pid)) - cpu0) / Math.max(ok, 1), 2) };
}

/** Login and /me under load on a started service (or only login, on the floor). */
async function load(port, pid, { floor = false } = {}) {
  const login = () => request(port, 'POST', floor ? '/' : '/api/auth/login', { body: { email: EMAIL, password: PASSWORD } });
  for (let i = 0; i < 3; i++) await login(); // warm-up: JIT and first-use allocations stay out of the numbers
  const result = { loginSeq: await latency(50, 60, login), loginLoad: await throughput(pid, 8, LOAD_SECONDS, 5_000, login) };
  if (!floor) {
    const { access_token: token } = await expect(200, login(), 'login');
    const me = () => request(port, 'GET', '/api/auth/me', { token });
    for (let i = 0; i < 20; i++) await me();
    result.meSeq = await latency(500, 30, me);
    result.meLoad = await throughput(pid, 16, LOAD_SECONDS, 200_000, me);
  }
  result.afterLoad = await memory(pid);
  return result;
}

/** Readiness, JWKS and one registration: the service answers what the load will use. */
async function prepare(port) {
  await expect(200, request(port, 'GET', '/health/ready'), 'GET /health/ready');
  const jwks = await expect(200, request(port, 'GET', '/.well-known/jwks.json'), 'GET /.well-known/jwks.json');
  if (!jwks.keys?.length) throw new Error('JWKS has no key');
  await expect(201, request(port, 'POST', '/api/auth/register', { body: { email: EMAIL, password: PASSWORD } }), 'register');
}

// ---- the run ----------------------------------------------------------------------------------
async function main() {
  // Builds only when dist is missing: rebuilding an existing dist (`npm run build`) is left to the
  // caller, so a bench never fails on someone's half-edited sources. It measures what dist holds.
  if (!existsSync(ENTRY)) execSync('npx nest build auth-service', { cwd: ROOT, stdio: 'inherit' });
  const { default: pg } = await import('pg');
  const tmp = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const database = `tessera_bench_${process.pid}_${Date.now()}`;
  let admin;
  // A clean environment, not process.env: an inherited DATABASE_URL, REDIS_URL or ARGON2_* would
  // silently change what is measured. Rate limit at its maximum: the bench measures login, not the limiter.
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0',
    KEYS_ENCRYPTION_SECRET: randomBytes(48).toString('base64'), RATE_LIMIT_LOGIN: '1000000',
  };
  const cleanup = async () => {
    await Promise.allSettled([...children].map(stop));
    agent.destroy();
    if (admin) {
      const client = admin;
      admin = undefined; // once, even if cleanup runs twice (error, then a signal)
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((e) => console.error(`could not drop ${database}: ${e.message}`));
      await client.end().catch(() => {});
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => cleanup().finally(() => process.exit(130)));
  process.once('exit', () => children.forEach((c) => c.kill('SIGKILL'))); // last resort, synchronous

  // The 1-minute load average before and after: other work on the machine skews every number here.
  const results = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadBefore: round(loadavg()[0], 2), argon2: ARGON2 };
  try {
    // The floor runs alone: every measured process gets the machine to itself.
    const floor = await startProcess('floor', [fileURLToPath(import.meta.url), '--floor'], { PATH: process.env.PATH, FLOOR_PASSWORD: PASSWORD });
    results.floor = { ready: await memory(floor.child.pid), ...(await load(floor.port, floor.child.pid, { floor: true })) };
    await stop(floor.child);

    const embedded = { ...env, DATA_DIR: join(tmp, 'data') };
    const cold = await startProcess('embedded (cold)', [ENTRY], embedded);
    results.embeddedCold = { startMs: round(cold.startMs), ready: await memory(cold.child.pid) };
    results.embeddedCold.stopMs = round(await stop(cold.child));
    const warm = await startProcess('embedded (warm)', [ENTRY], embedded);
    results.embeddedWarm = { startMs: round(warm.startMs), ready: await memory(warm.child.pid) };
    await prepare(warm.port);
    results.embeddedWarm.load = await load(warm.port, warm.child.pid);
    results.embeddedWarm.stopMs = round(await stop(warm.child));

    admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const postgres = { ...env, DATA_DIR: join(tmp, 'unused'), DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}` };
    const pgRun = await startProcess('postgres', [ENTRY], postgres);
    results.postgres = { startMs: round(pgRun.startMs), ready: await memory(pgRun.child.pid) };
    await prepare(pgRun.port);
    results.postgres.load = await load(pgRun.port, pgRun.child.pid);
    results.postgres.stopMs = round(await stop(pgRun.child));
  } finally {
    await cleanup();
  }
  results.loadAfter = round(loadavg()[0], 2);
  for (const key of ['embeddedWarm', 'postgres']) results[key].load.loginVsFloor = round(results[key].load.loginLoad.rps / results.floor.loginLoad.rps, 2);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/foundation.json'), `${JSON.stringify(results, null, 2)}\n`);
  report(results);
}

function report(r) {
  const row = (cells, widths) => cells.map((c, i) => String(c ?? '–')[i ? 'padStart' : 'padEnd'](widths[i])).join('  ');
  const w1 = [16, 9, 12, 13, 8];
  console.log(`\n${r.cpus} CPUs, ${r.node}, load average ${r.loadBefore} before, ${r.loadAfter} after (the bench itself adds ~2)`);
  console.log("Start-up (RSS of the service process only: PostgreSQL's own processes are not counted)");
  console.log(row(['', 'start ms', 'RSS MiB', 'peak MiB', 'stop ms'], w1));
  for (const [name, s] of [['embedded cold', r.embeddedCold], ['embedded warm', r.embeddedWarm], ['postgres', r.postgres]]) {
    console.log(row([name, s.startMs, s.ready.rssMiB, s.ready.peakMiB, s.stopMs], w1));
  }
  const w2 = [16, 26, 16, 12, 16, 15];
  console.log(`\nLoad (login: 50 sequential, then 8 clients ${LOAD_SECONDS} s; /me: 500 sequential, then 16 clients ${LOAD_SECONDS} s; ms; CPU = service CPU ms per request)`);
  console.log(row(['', 'login p50/p95/p99/mean', 'login/s (CPU)', 'me p50/p99', 'me/s (CPU)', 'RSS/peak after'], w2));
  const perSecond = (t) => t && `${t.rps} (${t.cpuMsPerRequest})`;
  for (const [name, l] of [['floor (argon2)', r.floor], ['embedded', r.embeddedWarm.load], ['postgres', r.postgres.load]]) {
    const s = l.loginSeq;
    console.log(row([name, `${s.p50}/${s.p95}/${s.p99}/${s.mean}`, perSecond(l.loginLoad), l.meSeq && `${l.meSeq.p50}/${l.meSeq.p99}`, perSecond(l.meLoad), `${l.afterLoad.rssMiB}/${l.afterLoad.peakMiB}`], w2));
  }
  const failed = [r.floor.loginLoad, r.embeddedWarm.load.loginLoad, r.embeddedWarm.load.meLoad, r.postgres.load.loginLoad, r.postgres.load.meLoad].reduce((n, t) => n + t.failed, 0);
  console.log(`\nlogin throughput vs floor: embedded ${r.embeddedWarm.load.loginVsFloor}, postgres ${r.postgres.load.loginVsFloor}; failed requests under load: ${failed}`);
  console.log('JSON: bench/results/foundation.json');
}

// ---- entry: the bench, or (as its child, with --floor) the floor server ------------------------
if (process.argv[2] === '--floor') {
  // node:http, JSON body, argon2id verify against one hash made with the service's parameters.
  const { default: argon2 } = await import('argon2');
  const hash = await argon2.hash(process.env.FLOOR_PASSWORD, { type: argon2.argon2id, ...ARGON2 });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const { password } = JSON.parse(Buffer.concat(chunks).toString());
        const ok = await argon2.verify(hash, password);
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`floor listening on http://127.0.0.1:${server.address().port}`));
} else {
  await main();
}
