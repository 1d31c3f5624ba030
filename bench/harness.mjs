// The one set of helpers of `npm run bench` (bench/run.mjs): child processes (start, stop, cold
// start to /health/ready, death = failure), a fresh PostgreSQL database, the measurement of a
// group of contenders in turn with autocannon (warm-up, then measured slices, with each server's
// CPU per request and its RSS sampled under load) and small HTTP calls.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { startCommand } from '../scripts/start-command.mjs';
import { turnOrder } from './turn-order.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * node's arguments for the service exactly as `npm start` gives them (package.json's `start`: the
 * heap flags and the built entry point, scripts/bundle-auth-service.mjs), so that the bench measures what a user runs.
 */
const START = startCommand(ROOT);
export const AUTH_ARGS = [...START.flags, START.entry];
export const AUTH_ENTRY = START.entry;
export const EXAMPLE_ENTRY = join(ROOT, 'dist/apps/example-api/apps/example-api/src/main.js');
export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const CONNECTIONS = 16;
/**
 * The User-Agent of every request the load sends, and of the seeded sessions and security events
 * (seed.mjs): the history and the load come from one population of clients. Without it, autocannon
 * sends none, and each new `token_refreshed` row was about 20–25 bytes smaller than the seeded ones:
 * small enough to go into the room left at the end of an old page of the security log, which the
 * free-space map knew of. At 10⁵ users and 10⁶ events a refresh then touched a new page of the log
 * (a full-page image in the WAL) 0.35–0.57 times; with the same User-Agent, 0.01 times (scratch
 * measurements with pg_walinspect, bench/HISTORY.md).
 */
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
export const QUICK = process.argv.includes('--quick');
// --quick checks the harness (a second or two per scenario); the full run is what gets reported.
// The warm-up is 10 s, not the 3 s it was: V8 was still compiling then. The service under refresh
// (--trace-opt, a fresh process) finished about 400 optimised compilations in each of its first two
// 5-s windows of load, 146 in the third and about 20 from the fourth on, on helper threads that the
// server's CPU per request counts; measured once more after a first 13-s measurement, Tessera
// answered 17–32 % more refreshes per second, the Nest bound 10–11 %, the peer 4–11 %.
export const WARMUP_S = QUICK ? 1 : Number(process.env.BENCH_WARMUP ?? 10);
export const DURATION_S = QUICK ? 2 : Number(process.env.BENCH_SECONDS ?? 10);
const START_TIMEOUT_MS = 120_000; // a cold embedded start runs initdb in WebAssembly
const RSS_SAMPLE_MS = 250;

const children = new Set();
/** Children that exited without being asked to: the run fails (bench/run.mjs checks it). */
export const deaths = [];

/**
 * Spawns node and resolves, once it prints "listening on http://127.0.0.1:N", with the child, its
 * port and `spawnedAt` (performance.now() just before the spawn, for the cold-start time).
 */
export function start(label, args, env) {
  // BENCH_CPU_PROF=1: every child writes a V8 CPU profile (read it with bench/profile-summary.mjs).
  const name = label.replace(/[^a-z0-9]+/gi, '-');
  const profile = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results/prof')}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...profile, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.label = label;
  children.add(child);
  let output = '';
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (!child.stopping) deaths.push(`${label} exited by itself (${signal ?? code})\n${output.slice(-2000)}`);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not listening after ${START_TIMEOUT_MS} ms\n${output}`)), START_TIMEOUT_MS);
    // Both pipes are read for the child's whole life: a full pipe would stall it mid-run.
    child.stderr.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
    let listening = false;
    child.stdout.on('data', (chunk) => {
      output = (output + chunk).slice(-4000);
      if (listening) return; // only drained from now on (the request log goes here too)
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) (listening = true), clearTimeout(timer), resolve({ child, port: Number(match[1]), spawnedAt });
    });
    child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`${label} exited (${signal ?? code})\n${output}`))));
  });
}

/**
 * A server of the bench's own (a floor, a bound, the peer, the example API) as a contender of a
 * group (measureGroup): started, then `prepare({ child, port })` gives its `{ options, expected }`;
 * `child` is for the caller to stop once the group is measured (stopped here if `prepare` fails).
 */
export async function startContender(label, args, env, prepare) {
  const server = await start(label, args, env);
  try {
    return { pid: server.child.pid, child: server.child, ...(await prepare(server)) };
  } catch (error) {
    await stop(server.child);
    throw error;
  }
}

/** start(), then /health/ready polled until it answers 200: `coldStartMs` is spawn → ready. */
export async function startReady(label, args, env) {
  const started = await start(label, args, env);
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${started.port}/health/ready`).then((r) => r.status, () => 0);
    if (ready === 200) break;
    if (performance.now() - started.spawnedAt > START_TIMEOUT_MS) throw new Error(`${label}: /health/ready not 200 after ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { ...started, coldStartMs: round(performance.now() - started.spawnedAt) };
}

/** SIGTERM (a service drains and, with --cpu-prof, writes its profile), SIGKILL if it lingers. */
export async function stop(child) {
  child.stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
}

/** CPU seconds used so far by each PostgreSQL server process on this machine (the harness's server is local), by pid. */
function postgresCpu() {
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byPid.set(entry, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      /* gone meanwhile */
    }
  }
  return byPid;
}

/**
 * PostgreSQL's CPU seconds since `before` (a postgresCpu()): the database's share of a request,
 * beside the service's. By process, so that one that exited meanwhile (an autovacuum worker, a
 * closed connection's backend) takes nothing away; the CPU it used meanwhile is not counted.
 */
function postgresCpuSince(before) {
  let total = 0;
  for (const [pid, seconds] of postgresCpu()) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** A process.cpuUsage() difference in seconds (user + system). */
const cpuUsageSeconds = ({ user, system }) => (user + system) / 1e6;

/** Resident set size of a process now, in MiB (PGlite runs in the service's process: counted). */
export function rssMiB(pid) {
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kib ? Number(kib[1]) / 1024 : NaN;
}

/** A fresh database, dropped by `cleanup` (also on an error or Ctrl-C). */
export async function freshDatabase(label) {
  const name = `tessera_bench_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client(PG_ADMIN_URL);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  databases.add(name);
  return `postgres://postgres@127.0.0.1:5432/${name}`;
}
const databases = new Set();

/** Stops every child this process started and drops its databases. */
export async function cleanup() {
  await Promise.allSettled([...children].map(stop));
  if (!databases.size) return;
  const admin = new pg.Client(PG_ADMIN_URL);
  await admin.connect();
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((e) => console.error(`could not drop ${name}: ${e.message}`));
  databases.clear();
  await admin.end();
}

process.once('SIGINT', () => {
  for (const child of children) (child.stopping = true), child.kill('SIGKILL');
  cleanup().finally(() => process.exit(130));
});

// One secret for the whole run: every instance started on one database must be given the same.
const KEYS_ENCRYPTION_SECRET = randomBytes(36).toString('base64');

/** A clean environment for the auth service (nothing inherited can change what is measured). */
export function serviceEnv(databaseUrl, extra = {}) {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    KEYS_ENCRYPTION_SECRET,
    ...extra,
  };
}

/** One request with fetch (a JSON body unless `body` is a URLSearchParams); the parsed body and status. */
export async function call(port, method, path, body, headers = {}) {
  const json = body !== undefined && !(body instanceof URLSearchParams);
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: json ? { 'content-type': 'application/json', ...headers } : headers,
    body: json ? JSON.stringify(body) : body,
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* left null: the caller checks the status */
  }
  return { status: res.status, json: parsed, text, headers: res.headers };
}

/** call() that must answer `status`: the parsed body, or an error naming what answered instead. */
export async function expectCall(status, port, method, path, body, headers) {
  const res = await call(port, method, path, body, headers);
  if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
  return res.json;
}

/**
 * One autocannon run of `duration` s whose last `windowS` s are measured (all of it by default):
 * the answers in that window by status and the times of those with status `expected` (ms, not
 * rounded); `onWindow('start' | 'end')` is called as the window opens and closes (CPU readings).
 * Socket errors and timeouts (`errors`) count over the whole run.
 */
function autocannonRun(options, expected, windowS = options.duration, onWindow = () => {}) {
  const times = [];
  const statuses = {};
  let open = false;
  const openWindow = () => ((open = true), onWindow('start'));
  return new Promise((resolve, reject) => {
    const lead = options.duration - windowS;
    const timer = lead > 0 ? setTimeout(openWindow, lead * 1000) : (openWindow(), undefined);
    const headers = { 'user-agent': USER_AGENT, ...options.headers }; // the requests' own headers are added to these
    const instance = autocannon({ connections: CONNECTIONS, timeout: 60, ...options, headers }, (error, result) => {
      clearTimeout(timer);
      if (error) return reject(error);
      onWindow('end');
      resolve({ statuses, times, errors: result.errors + result.timeouts });
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      if (!open) return;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === expected) times.push(ms);
    });
  });
}

/** Nearest-rank percentile of a sorted array, 2 decimals (autocannon's own are whole milliseconds). */
const percentile = (sorted, q) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN, 2);

/**
 * The contenders of a scenario (Tessera, its floor, the peer, …) are measured in turn, in slices,
 * each alone on the machine during its slice: the machine's speed drifts by ±25 % from one minute
 * to the next on shared hosts, and contenders measured minutes apart took that drift into their
 * ratios (the same floor answered 7,200 and 12,400 requests/s in two runs of one hour). In turn,
 * every contender sees the same drift. But a server that waited idle through the others' slices
 * answers slower at first: Tessera, loaded 2 s after 20 s idle, answered 21–31 % fewer refreshes
 * than after 1 s idle, and as many once loaded 2 s before (three rounds each). So each slice is
 * one load of REWARM_S + SLICE_S seconds, whose last SLICE_S are measured; a pause before it lets
 * the work the previous slice left behind (the security-log sealer's next batch, 1 s later;
 * PostgreSQL's writes) end first.
 */
const SLICE_S = 2;
export const REWARM_S = 2;
const SLICE_PAUSE_S = 1;
export const SLICES = QUICK ? 1 : Math.max(1, Math.round(DURATION_S / SLICE_S));

const countOf = (statuses, keep) => Object.entries(statuses).filter(([code]) => keep(Number(code))).reduce((n, [, count]) => n + count, 0);

/** Runs `fn` with `pid`'s RSS sampled meanwhile; the highest sample raises `tally.rssMax`. */
async function sampled(pid, tally, fn) {
  const sample = () => {
    try {
      tally.rssMax = Math.max(tally.rssMax, rssMiB(pid));
    } catch {
      /* the process is gone: the run reports its death */
    }
  };
  sample();
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  try {
    return await fn();
  } finally {
    clearInterval(sampler);
  }
}

/**
 * A group of contenders, each `{ pid, options, expected }`: autocannon's options (kept for the whole
 * group, so that a pool of refresh tokens lives on from slice to slice), the server process whose
 * CPU and RSS count, and the status every answer must have (anything else, or a socket error, is
 * an error, in the warm-up too). Each is warmed up (WARMUP_S, discarded), one after the other; then
 * `seconds` of each are measured in SLICES turns (a contender alone: one window after its warm-up).
 * Per contender: requests/s, p50 and p99 of the answers of its windows, its server's CPU
 * (`cpuMsPerReq`), PostgreSQL's (`dbCpuMsPerReq`) and the load generator's (`loadCpuMsPerReq`: this
 * process, where autocannon runs, on the same cores) per request over its windows, and its RSS
 * (`rssMiB`: the highest sample under load, warm-up included).
 */
export async function measureGroup(contenders, seconds = DURATION_S) {
  const slices = contenders.length > 1 ? SLICES : 1;
  const tallies = contenders.map(() => ({ good: 0, wrong: 0, statuses: {}, times: [], cpu: 0, dbCpu: 0, loadCpu: 0, rssMax: 0 }));
  /** Contender i loaded `lead + window` s; what it answered in the window is added to its tally when `measured`. */
  const load = async (i, lead, window, measured) => {
    const [c, t] = [contenders[i], tallies[i]];
    let cpu0, db0, load0;
    const onWindow = (edge) => {
      if (edge === 'start') (cpu0 = cpuSeconds(c.pid)), (db0 = postgresCpu()), (load0 = process.cpuUsage());
      else if (measured) (t.cpu += cpuSeconds(c.pid) - cpu0), (t.dbCpu += postgresCpuSince(db0)), (t.loadCpu += cpuUsageSeconds(process.cpuUsage(load0)));
    };
    const r = await sampled(c.pid, t, () => autocannonRun({ ...c.options, duration: lead + window }, c.expected, window, onWindow));
    t.wrong += r.errors + countOf(r.statuses, (code) => code !== c.expected);
    if (!measured) return;
    t.good += countOf(r.statuses, (code) => code === c.expected);
    for (const [code, count] of Object.entries(r.statuses)) t.statuses[code] = (t.statuses[code] ?? 0) + count;
    for (const ms of r.times) t.times.push(ms);
  };
  if (slices === 1) {
    for (let i = 0; i < contenders.length; i++) await load(i, WARMUP_S, seconds, true);
  } else {
    for (let i = 0; i < contenders.length; i++) await load(i, 0, WARMUP_S, false);
    for (let s = 0; s < slices; s++) {
      // Each turn starts with the next contender and goes through the others in another order
      // (turn-order.mjs), so that no contender always comes right after a given other.
      for (const i of turnOrder(contenders.length, s)) {
        await new Promise((resolve) => setTimeout(resolve, SLICE_PAUSE_S * 1000));
        await load(i, REWARM_S, seconds / slices, true);
      }
    }
  }
  return tallies.map((t) => {
    const sorted = t.times.sort((a, b) => a - b);
    return {
      rps: round(t.good / seconds),
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      errors: t.wrong,
      statuses: t.statuses,
      cpuMsPerReq: t.good ? round((t.cpu * 1000) / t.good, 3) : NaN,
      dbCpuMsPerReq: t.good ? round((t.dbCpu * 1000) / t.good, 3) : NaN,
      loadCpuMsPerReq: t.good ? round((t.loadCpu * 1000) / t.good, 3) : NaN,
      rssMiB: round(t.rssMax),
      requests: t.good,
    };
  });
}

/** One contender alone: warm-up, then one measured window (see measureGroup). */
export async function measure(pid, options, expected, seconds = DURATION_S) {
  return (await measureGroup([{ pid, options, expected }], seconds))[0];
}

export const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * A pool of live refresh tokens for autocannon: each request takes one, each 200 puts the
 * response's successor back. Built for `requests: [pool.request(...)]`.
 */
export function tokenPool(tokens) {
  const free = [...tokens];
  return {
    size: () => free.length,
    /** `body(token)` gives the request body; `successor(json)` the token to put back. */
    request({ path, headers, body, successor = (json) => json?.refresh_token }) {
      return {
        method: 'POST',
        path,
        headers,
        setupRequest: (req) => {
          const token = free.shift() ?? 'rt_pool_exhausted'; // answered 4xx: counted as an error
          return { ...req, body: body(token) };
        },
        onResponse: (status, text) => {
          if (status !== 200) return;
          try {
            const next = successor(JSON.parse(text));
            if (typeof next === 'string') free.push(next);
          } catch {
            /* not JSON: the token is lost, and the pool one smaller */
          }
        },
      };
    },
  };
}
