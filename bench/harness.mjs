// Shared parts of bench/example-api.mjs and bench/abuse.mjs: child processes, a fresh PostgreSQL
// database, one autocannon measurement (warm-up, then the measured window) and the table.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const AUTH_ENTRY = join(ROOT, 'dist/apps/auth-service/apps/auth-service/src/main.js');
export const EXAMPLE_ENTRY = join(ROOT, 'dist/apps/example-api/apps/example-api/src/main.js');
export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const CONNECTIONS = 16;
export const QUICK = process.argv.includes('--quick');
// --quick checks the harness (about a second per scenario); the full run is what gets reported.
export const WARMUP_S = QUICK ? 0.5 : Number(process.env.BENCH_WARMUP ?? 3);
export const DURATION_S = QUICK ? 1 : Number(process.env.BENCH_SECONDS ?? 10);
const START_TIMEOUT_MS = 60_000;

const children = new Set();

/** Spawns node and resolves with the port once it prints a "listening on http://127.0.0.1:N" line. */
export function start(label, args, env) {
  // BENCH_CPU_PROF=1: every child writes a V8 CPU profile (read it with bench/profile-summary.mjs).
  const name = label.replace(/[^a-z0-9]+/gi, '-');
  const profile = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results/prof')}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profile, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not listening after ${START_TIMEOUT_MS} ms\n${output}`)), START_TIMEOUT_MS);
    // Both pipes are read for the child's whole life: a full pipe would stall it mid-run.
    child.stderr.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
    let listening = false;
    child.stdout.on('data', (chunk) => {
      output = (output + chunk).slice(-4000);
      if (listening) return; // only drained from now on (the request log goes here too)
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) (listening = true), clearTimeout(timer), resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`${label} exited (${signal ?? code})\n${output}`))));
  });
}

/** SIGTERM (a service drains and, with --cpu-prof, writes its profile), SIGKILL if it lingers. */
export async function stop(child) {
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
  for (const child of children) child.kill('SIGKILL');
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
    DATABASE_URL: databaseUrl,
    KEYS_ENCRYPTION_SECRET,
    ...extra,
  };
}

/** One JSON request with fetch; the parsed body and status. */
export async function call(port, method, path, body, headers = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* left null: the caller checks the status */
  }
  return { status: res.status, json, headers: res.headers };
}

const autocannonRun = (options) =>
  new Promise((resolve, reject) => autocannon({ connections: CONNECTIONS, ...options }, (error, result) => (error ? reject(error) : resolve(result))));

/**
 * Warm-up (discarded), then the measured window, on `CONNECTIONS` keep-alive connections.
 * `expected` is the status every answer must have: anything else, or a socket error, is an error.
 */
export async function measure(pid, options, expected, seconds = DURATION_S) {
  await autocannonRun({ ...options, duration: WARMUP_S });
  const cpu0 = cpuSeconds(pid);
  const r = await autocannonRun({ ...options, duration: seconds });
  const cpu = cpuSeconds(pid) - cpu0;
  const answers = Object.entries(r.statusCodeStats ?? {});
  const good = answers.filter(([code]) => Number(code) === expected).reduce((n, [, s]) => n + s.count, 0);
  const wrong = answers.filter(([code]) => Number(code) !== expected).reduce((n, [, s]) => n + s.count, 0);
  return {
    rps: round(good / seconds),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: wrong + r.errors + r.timeouts,
    cpuMsPerReq: good ? round((cpu * 1000) / good, 3) : NaN,
    requests: good,
  };
}

export const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Prints one row per target: requests/s, p50, p99 (ms), server CPU ms per request, errors. */
export function table(title, rows) {
  console.log(`\n${title} (${CONNECTIONS} connections, ${DURATION_S} s after ${WARMUP_S} s warm-up${QUICK ? ', --quick' : ''})`);
  console.log(`${'target'.padEnd(44)}${'req/s'.padStart(9)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'cpu ms/req'.padStart(12)}${'errors'.padStart(8)}`);
  for (const [name, r] of rows) {
    console.log(`${name.padEnd(44)}${String(r.rps).padStart(9)}${String(r.p50).padStart(8)}${String(r.p99).padStart(8)}${String(r.cpuMsPerReq).padStart(12)}${String(r.errors).padStart(8)}`);
  }
}
