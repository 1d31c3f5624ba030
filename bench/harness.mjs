// The one set of helpers of `npm run bench` (bench/run.mjs): child processes (start, stop, cold
// start to /health/ready, death = failure), a fresh PostgreSQL database, one autocannon
// measurement (warm-up, then the measured window, with the server's CPU per request and its RSS
// sampled under load) and small HTTP calls.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { startCommand } from '../scripts/start-command.mjs';

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

/** start(), then `fn({ child, port })`, then stop() whatever happened. */
export async function withServer(label, args, env, fn) {
  const server = await start(label, args, env);
  try {
    return await fn(server);
  } finally {
    await stop(server.child);
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

/**
 * CPU seconds of every PostgreSQL server process on this machine (the harness's server is local):
 * the database's share of a request, beside the service's. NaN where /proc cannot tell.
 */
function postgresCpuSeconds() {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* gone meanwhile */
    }
  }
  return total / 100;
}

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

/** One autocannon run; `times` holds the latency (ms, not rounded) of every answer with status `expected`. */
function autocannonRun(options, expected) {
  const times = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({ connections: CONNECTIONS, timeout: 60, ...options }, (error, result) => (error ? reject(error) : resolve({ ...result, times })));
    instance.on('response', (_client, status, _bytes, ms) => status === expected && times.push(ms));
  });
}

/** Nearest-rank percentile of a sorted array, 2 decimals (autocannon's own are whole milliseconds). */
const percentile = (sorted, q) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN, 2);

/**
 * Warm-up (discarded), then the measured window, on `CONNECTIONS` keep-alive connections.
 * `expected` is the status every answer must have: anything else, or a socket error, is an error.
 * The server's RSS is sampled through both windows (`rssMiB`: the highest sample); CPU per request
 * is the server process's (`cpuMsPerReq`) and PostgreSQL's (`dbCpuMsPerReq`) over the measured window.
 */
export async function measure(pid, options, expected, seconds = DURATION_S) {
  let rssMax = rssMiB(pid);
  const sampler = setInterval(() => {
    try {
      rssMax = Math.max(rssMax, rssMiB(pid));
    } catch {
      /* the process is gone: the run reports its death */
    }
  }, RSS_SAMPLE_MS);
  try {
    const warm = await autocannonRun({ ...options, duration: WARMUP_S }, expected);
    const cpu0 = cpuSeconds(pid);
    const db0 = postgresCpuSeconds();
    const r = await autocannonRun({ ...options, duration: seconds }, expected);
    const cpu = cpuSeconds(pid) - cpu0;
    const dbCpu = postgresCpuSeconds() - db0;
    const answers = Object.entries(r.statusCodeStats ?? {});
    const good = answers.filter(([code]) => Number(code) === expected).reduce((n, [, s]) => n + s.count, 0);
    const wrong = answers.filter(([code]) => Number(code) !== expected).reduce((n, [, s]) => n + s.count, 0);
    const warmWrong = Object.entries(warm.statusCodeStats ?? {}).filter(([code]) => Number(code) !== expected).reduce((n, [, s]) => n + s.count, 0);
    return {
      rps: round(good / seconds),
      p50: percentile(r.times.sort((a, b) => a - b), 0.5),
      p99: percentile(r.times, 0.99),
      errors: wrong + r.errors + r.timeouts + warmWrong + warm.errors + warm.timeouts,
      statuses: Object.fromEntries(answers.map(([code, s]) => [code, s.count])),
      cpuMsPerReq: good ? round((cpu * 1000) / good, 3) : NaN,
      dbCpuMsPerReq: good ? round((dbCpu * 1000) / good, 3) : NaN,
      rssMiB: round(rssMax),
      requests: good,
    };
  } finally {
    clearInterval(sampler);
  }
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
