// `npm run bench`: the one benchmark command. In one run on one machine: Tessera on PostgreSQL
// (limits and lockout off) against a floor per scenario (bench/floors/) and against a peer
// (oidc-provider on PostgreSQL, bench/peer/), the example API against its floor, on two databases:
// 10⁴ users and sessions with 10⁵ security events, and 10⁶ with 10⁷ (bench/seed.mjs); RSS under
// load and cold start on PostgreSQL and on the embedded database. Per scenario, Tessera at both
// sizes, its floors and the peer are measured in turn, in slices (harness.mjs, measureGroup).
// Writes bench/results/latest.md and latest.svg (--quick: quick.md and quick.svg; --only or a
// BENCH_* override: partial.md and partial.svg).
//   node bench/run.mjs [--quick] [--runs=N] [--only=login,refresh,me,hello,logs,embedded] [--update-readme]
//   node bench/run.mjs --readme-from-latest   (the README's table from bench/results/latest.json, nothing measured)
// Exits 1 if a scenario errors (a non-2xx answer, a socket error) or a server dies.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AUTH_ARGS, cleanup, CONNECTIONS, deaths, DURATION_S, EXAMPLE_ENTRY, freshDatabase, measureGroup, QUICK, ROOT, REWARM_S, round, SLICES, startReady, stop, WARMUP_S } from './harness.mjs';
import { chartSpec, renderSvg, reportMarkdown, readmeTable } from './report.mjs';
import * as embedded from './scenarios/embedded.mjs';
import * as login from './scenarios/login.mjs';
import * as logs from './scenarios/logs.mjs';
import * as refresh from './scenarios/refresh.mjs';
import { startTessera, tesseraEnv } from './scenarios/tessera.mjs';
import * as verify from './scenarios/verify.mjs';
import { argon2Defaults, seedEvents, seedUsers } from './seed.mjs';

const SCENARIOS = ['login', 'refresh', 'me', 'hello', 'logs', 'embedded'];
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const RUNS = Number(arg('runs') ?? 1);
const ONLY = new Set((arg('only') ?? SCENARIOS.join(',')).split(',').filter(Boolean));
const UPDATE_README = process.argv.includes('--update-readme');
for (const name of ONLY) if (!SCENARIOS.includes(name)) throw new Error(`--only: unknown scenario ${name} (one of ${SCENARIOS.join(', ')})`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs: a whole number ≥ 1');
const wanted = (name) => ONLY.has(name);
// --quick skips the large sizes: every scenario runs once, at the small size.
const SIZES = [
  { name: 'small', users: 10_000, events: 100_000 },
  ...(QUICK ? [] : [{ name: 'large', ...largeSize() }]),
];
/** 10⁶ and 10⁷; BENCH_LARGE=USERS,EVENTS makes it smaller, to try the growth path of the harness quickly. */
function largeSize() {
  const [users, events] = (process.env.BENCH_LARGE ?? '1000000,10000000').split(',').map(Number);
  return { users, events };
}

function log(line) {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function checkAlive() {
  if (deaths.length) throw new Error(`a server died during the run:\n${deaths.join('\n')}`);
}

/**
 * One group: its contenders started (Tessera's are running already), then measured in turn
 * (harness.mjs, measureGroup), each measurement stored with its key, size and run; the servers the
 * group started are stopped whatever happened. `entries`: `{ key, size, make }`, where `make()`
 * gives the contender, or null when it cannot run here (the peer missing).
 */
async function group(results, run, entries) {
  checkAlive();
  const started = [];
  try {
    for (const entry of entries) {
      const contender = await entry.make();
      if (contender === null) log(`${entry.key} [${entry.size}]: not run (bench/peer/oidc-provider.mjs is not there)`);
      else started.push({ ...entry, contender });
    }
    const measured = await measureGroup(started.map((s) => s.contender));
    checkAlive();
    for (const [i, { key, size }] of started.entries()) {
      const m = measured[i];
      const label = `${key} [${size}${RUNS > 1 ? `, run ${run}` : ''}]`;
      results.measurements.push({ key, size, run, ...m });
      log(`${label}: ${m.rps} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.cpuMsPerReq} CPU ms/req (PostgreSQL ${m.dbCpuMsPerReq}, load generator ${m.loadCpuMsPerReq}), RSS ${m.rssMiB} MiB, errors ${m.errors}`);
      if (m.errors) throw new Error(`${label}: ${m.errors} errors (statuses ${JSON.stringify(m.statuses)})`);
    }
  } finally {
    await Promise.all(started.filter((s) => s.contender.child).map((s) => stop(s.contender.child)));
  }
}

function machine(postgresVersion) {
  const commit = (args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  return {
    date: new Date().toISOString(),
    commit: commit(['rev-parse', '--short', 'HEAD']),
    dirty: commit(['status', '--porcelain', '--untracked-files=no']) !== '',
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    postgres: postgresVersion,
    loadBefore: loadavg().map((n) => round(n, 2)),
  };
}

/** The README's table between the bench:latest markers, from a full run's results. */
function updateReadme(results) {
  const readme = join(ROOT, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const pattern = /(<!-- bench:latest:start -->\n)[\s\S]*?(<!-- bench:latest:end -->)/;
  if (!pattern.test(text)) throw new Error('README.md has no <!-- bench:latest:start --> … <!-- bench:latest:end --> markers');
  writeFileSync(readme, text.replace(pattern, (_, open, close) => `${open}${readmeTable(results)}${close}`));
  console.log('README.md: the table between the bench:latest markers replaced');
}

async function main() {
  // Builds when dist is missing or older than the sources (the example API is built with it).
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(EXAMPLE_ENTRY)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const results = { quick: QUICK, runs: RUNS, only: [...ONLY], connections: CONNECTIONS, warmupS: WARMUP_S, durationS: DURATION_S, slices: SLICES, rewarmS: REWARM_S, measurements: [], coldStart: [], seeding: [], embedded: [] };
  const shared = {}; // what every size's scenarios share (the peer's database)
  const prepared = []; // per size: its database, seeded, and the scenarios' context on it
  try {
    for (const size of SIZES) {
      // Each size has a database of its own, so that both are measured in turn in one group.
      const databaseUrl = await freshDatabase(size.name);
      const db = new pg.Client(databaseUrl);
      await db.connect();
      prepared.push({ size, db });
      if (!results.machine) {
        results.machine = machine((await db.query('SHOW server_version')).rows[0].server_version);
        log(`${results.machine.cores} cores (${results.machine.cpu}), Node ${results.machine.node}, PostgreSQL ${results.machine.postgres}, load ${results.machine.loadBefore.join(' ')}`);
        results.argon2 = argon2Defaults();
      }
      // The first start on the new database runs the migrations: the fresh cold start.
      const first = await startReady(`auth service (fresh database, ${size.name})`, [...AUTH_ARGS], tesseraEnv(databaseUrl));
      results.coldStart.push({ what: 'postgres-fresh', size: size.name, run: 1, ms: first.coldStartMs });
      await stop(first.child);
      log(`cold start on a fresh PostgreSQL database: ${first.coldStartMs} ms`);
      const users = await seedUsers(db, size.users, results.argon2);
      log(`${size.name}: seeded ${size.users} users, sessions and refresh tokens in ${users.ms} ms`);
      const events = await seedEvents(db, size.events, size.users);
      log(`${size.name}: seeded ${size.events} security events in ${events.ms} ms (insert ${events.insertMs} ms, then VACUUM ANALYZE)`);
      results.seeding.push({ size: size.name, users: size.users, events: size.events, usersMs: users.ms, eventsMs: events.ms, eventsInsertMs: events.insertMs });
      // Seeded users are handed out in slots: each refresh contender gets tokens never used before;
      // the login contenders share the first login.USERS users (scenarios/login.mjs).
      let nextSlot = 1;
      const slots = (n) => {
        if (nextSlot + n - 1 > size.users) throw new Error(`${size.name}: ${n} more seeded users wanted, ${size.users - nextSlot + 1} left (fewer --runs?)`);
        return Array.from({ length: n }, () => nextSlot++);
      };
      prepared.at(-1).ctx = { size: size.name, databaseUrl, shared, slots, loginUsers: slots(login.USERS), seededAt: Date.now() };
    }

    for (let run = 1; run <= RUNS; run++) {
      const tesseras = [];
      try {
        for (const { size, db, ctx } of prepared) {
          await db.query('CHECKPOINT'); // no checkpoint of the seeding lands in a measured window
          // What else ran as the start began: the machine's load and PostgreSQL's autovacuum workers
          // (recorded, not waited for; a slow start is then read against them).
          const autovacuum = Number((await db.query("SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")).rows[0].n);
          const load1 = loadavg()[0];
          const tessera = await startTessera(`auth service [${size.name}]`, ctx.databaseUrl, ctx.slots(1)[0]);
          tesseras.push({ size: size.name, ctx, tessera });
          results.coldStart.push({ what: 'postgres-migrated', size: size.name, run, ms: tessera.coldStartMs, autovacuum, load1 });
          log(`cold start on the migrated database [${size.name}]: ${tessera.coldStartMs} ms (load ${load1.toFixed(2)}, ${autovacuum} autovacuum workers at spawn)`);
        }
        const small = tesseras[0];
        // Per scenario, one group: Tessera at every size, its floors and the peer, measured in turn.
        const entry = (key, { size, ctx, tessera }, make) => ({ key, size, make: () => make(ctx, tessera) });
        if (wanted('login')) {
          await group(results, run, tesseras.flatMap((t) => [entry('login.tessera', t, login.service), entry('login.floor', t, login.floor)]));
        }
        if (wanted('refresh')) {
          await group(results, run, [
            ...tesseras.flatMap((t) => [entry('refresh.tessera', t, refresh.service), ...(t === small ? [entry('refresh.oauth', t, refresh.oauth)] : []), entry('refresh.floor', t, refresh.floor)]),
            entry('refresh.peer', small, refresh.peer),
            entry('refresh.bound-http', small, (ctx) => refresh.bound(ctx, 'http')),
            entry('refresh.bound-nest', small, (ctx) => refresh.bound(ctx, 'nest')),
          ]);
        }
        if (wanted('me')) await group(results, run, [entry('me.tessera', small, verify.me), entry('me.floor', small, (ctx, tessera) => verify.floor(ctx, tessera, true))]);
        if (wanted('logs')) await group(results, run, tesseras.map((t) => entry('logs.tessera', t, logs.service)));
        if (wanted('hello')) await group(results, run, [entry('hello.example', small, verify.exampleApi), entry('hello.floor', small, (ctx, tessera) => verify.floor(ctx, tessera, false))]);
      } finally {
        await Promise.all(tesseras.map((t) => stop(t.tessera.child)));
      }
    }
    if (wanted('embedded')) {
      for (let run = 1; run <= RUNS; run++) {
        const load1 = loadavg()[0];
        const e = await embedded.run();
        checkAlive();
        results.embedded.push({ run, ...e });
        results.coldStart.push({ what: 'embedded-new', run, ms: e.coldStartMs, load1 }, { what: 'embedded-restart', run, ms: e.restartMs });
        for (const [name, m] of Object.entries(e.measurements)) {
          results.measurements.push({ key: `embedded.${name}`, size: 'embedded', run, ...m });
          log(`embedded ${name}: ${m.rps} req/s, p50 ${m.p50} ms, ${m.cpuMsPerReq} CPU ms/req, RSS ${m.rssMiB} MiB, errors ${m.errors}`);
          if (m.errors) throw new Error(`embedded ${name}: ${m.errors} errors (statuses ${JSON.stringify(m.statuses)})`);
        }
        log(`embedded: cold start ${e.coldStartMs} ms on a new DATA_DIR, restart ${e.restartMs} ms, RSS under load ≤ ${e.rssMiB} MiB`);
      }
    }
  } finally {
    await Promise.all(prepared.map((p) => p.db.end().catch(() => {})));
    await cleanup();
  }
  results.machine.loadAfter = loadavg().map((n) => round(n, 2));
  return results;
}

// --readme-from-latest: only the README's table, from the last full run (bench/results/latest.json).
if (process.argv.includes('--readme-from-latest')) {
  updateReadme(JSON.parse(readFileSync(join(ROOT, 'bench/results/latest.json'), 'utf8')));
  process.exit(0);
}
const results = await main().catch(async (error) => {
  console.error(`\nbench failed: ${error.stack ?? error}`);
  await cleanup().catch(() => {});
  process.exit(1);
});
// latest.md only from a full run: every scenario, the real sizes, the default windows.
const FULL = !QUICK && !arg('only') && !process.env.BENCH_LARGE && !process.env.BENCH_SECONDS && !process.env.BENCH_WARMUP;
const name = QUICK ? 'quick' : FULL ? 'latest' : 'partial';
const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const markdown = reportMarkdown(results, `${name}.svg`);
writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, `${name}.md`), markdown);
writeFileSync(join(dir, `${name}.svg`), await renderSvg(chartSpec(results)));
console.log(`\n${markdown}`);
console.log(`written: bench/results/${name}.md, bench/results/${name}.svg (and ${name}.json)`);
if (UPDATE_README) {
  if (!FULL) throw new Error('--update-readme takes the figures of a full run (not --quick, --only, BENCH_LARGE, BENCH_SECONDS or BENCH_WARMUP)');
  updateReadme(results);
}
