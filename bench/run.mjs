// `npm run bench`: the one benchmark command. In one run on one machine: Tessera on PostgreSQL
// (limits and lockout off) against a floor per scenario (bench/floors/) and against a peer
// (oidc-provider on PostgreSQL, bench/peer/), the example API against its floor, the tables grown
// from 10⁴ to 10⁶ users and sessions and 10⁵ to 10⁷ security events (bench/seed.mjs), RSS under
// load and cold start on PostgreSQL and on the embedded database. Writes bench/results/latest.md
// and latest.svg (--quick: quick.md and quick.svg; --only or a BENCH_* override: partial.md and partial.svg).
//   node bench/run.mjs [--quick] [--runs=N] [--only=login,refresh,me,hello,logs,embedded] [--update-readme]
//   node bench/run.mjs --readme-from-latest   (the README's table from bench/results/latest.json, nothing measured)
// Exits 1 if a scenario errors (a non-2xx answer, a socket error) or a server dies.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AUTH_ARGS, cleanup, CONNECTIONS, deaths, DURATION_S, EXAMPLE_ENTRY, freshDatabase, QUICK, ROOT, round, startReady, stop, WARMUP_S } from './harness.mjs';
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

/** `--only` and the size decide; the measurement is stored with its key, size and run. */
async function step(results, key, size, run, fn) {
  checkAlive();
  const label = `${key} [${size}${RUNS > 1 ? `, run ${run}` : ''}]`;
  const m = await fn();
  checkAlive();
  if (m === null) return log(`${label}: not run (bench/peer/oidc-provider.mjs is not there)`);
  results.measurements.push({ key, size, run, ...m });
  log(`${label}: ${m.rps} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.cpuMsPerReq} CPU ms/req (PostgreSQL ${m.dbCpuMsPerReq}), RSS ${m.rssMiB} MiB, errors ${m.errors}`);
  if (m.errors) throw new Error(`${label}: ${m.errors} errors (statuses ${JSON.stringify(m.statuses)})`);
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
  const results = { quick: QUICK, runs: RUNS, only: [...ONLY], connections: CONNECTIONS, warmupS: WARMUP_S, durationS: DURATION_S, measurements: [], coldStart: [], seeding: [], embedded: [] };
  const databaseUrl = await freshDatabase('main');
  const db = new pg.Client(databaseUrl);
  await db.connect();
  try {
    results.machine = machine((await db.query('SHOW server_version')).rows[0].server_version);
    log(`${results.machine.cores} cores (${results.machine.cpu}), Node ${results.machine.node}, PostgreSQL ${results.machine.postgres}, load ${results.machine.loadBefore.join(' ')}`);
    // The first start on the new database runs the migrations: the fresh cold start.
    const first = await startReady('auth service (fresh database)', [...AUTH_ARGS], tesseraEnv(databaseUrl));
    results.coldStart.push({ what: 'postgres-fresh', run: 1, ms: first.coldStartMs });
    await stop(first.child);
    log(`cold start on a fresh PostgreSQL database: ${first.coldStartMs} ms`);

    const hashParams = argon2Defaults();
    results.argon2 = hashParams;
    // Seeded users are handed out in slots: each measurement gets users and tokens never used before.
    const ctx = { databaseUrl, nextSlot: 1, slots: (n) => Array.from({ length: n }, () => ctx.nextSlot++) };
    let previousUsers = 0;
    for (const size of SIZES) {
      const users = await seedUsers(db, size.users, hashParams);
      log(`seeded users, sessions and refresh tokens up to ${size.users} in ${users.ms} ms`);
      const events = await seedEvents(db, size.events, size.users);
      log(`seeded security events up to ${size.events} in ${events.ms} ms (insert ${events.insertMs} ms, then VACUUM ANALYZE)`);
      results.seeding.push({ size: size.name, users: size.users, events: size.events, usersMs: users.ms, eventsMs: events.ms, eventsInsertMs: events.insertMs });
      ctx.seededAt ??= Date.now();
      ctx.nextSlot = Math.max(ctx.nextSlot, previousUsers + 1); // at the large size: users the small size never had
      previousUsers = size.users;
      const small = size.name === 'small';
      for (let run = 1; run <= RUNS; run++) {
        await db.query('CHECKPOINT'); // no checkpoint of the seeding lands in a measured window
        const tessera = await startTessera(`auth service [${size.name}]`, databaseUrl, ctx.slots(1)[0]);
        results.coldStart.push({ what: 'postgres-migrated', size: size.name, run, ms: tessera.coldStartMs });
        log(`cold start on the migrated database: ${tessera.coldStartMs} ms`);
        try {
          if (wanted('login')) await step(results, 'login.tessera', size.name, run, () => login.service(ctx, tessera));
          if (wanted('refresh')) await step(results, 'refresh.tessera', size.name, run, () => refresh.service(ctx, tessera));
          if (wanted('refresh') && small) await step(results, 'refresh.oauth', size.name, run, () => refresh.oauth(ctx, tessera));
          if (wanted('me') && small) await step(results, 'me.tessera', size.name, run, () => verify.me(ctx, tessera));
          if (wanted('logs')) await step(results, 'logs.tessera', size.name, run, () => logs.service(ctx, tessera));
          if (wanted('hello') && small) await step(results, 'hello.example', size.name, run, () => verify.exampleApi(ctx, tessera));
        } finally {
          await stop(tessera.child);
        }
        // Each floor and the peer alone on the machine (the token and JWKS taken above stay valid).
        if (wanted('login')) await step(results, 'login.floor', size.name, run, () => login.floor(ctx));
        if (wanted('refresh')) await step(results, 'refresh.floor', size.name, run, () => refresh.floor(ctx));
        if (wanted('refresh') && small) await step(results, 'refresh.peer', size.name, run, () => refresh.peer(ctx));
        if (wanted('refresh') && small) await step(results, 'refresh.bound-http', size.name, run, () => refresh.bound(ctx, 'http'));
        if (wanted('refresh') && small) await step(results, 'refresh.bound-nest', size.name, run, () => refresh.bound(ctx, 'nest'));
        if (wanted('me') && small) await step(results, 'me.floor', size.name, run, () => verify.floor(ctx, tessera, true));
        if (wanted('hello') && small) await step(results, 'hello.floor', size.name, run, () => verify.floor(ctx, tessera, false));
      }
    }
    if (wanted('embedded')) {
      for (let run = 1; run <= RUNS; run++) {
        const e = await embedded.run();
        checkAlive();
        results.embedded.push({ run, ...e });
        results.coldStart.push({ what: 'embedded-new', run, ms: e.coldStartMs }, { what: 'embedded-restart', run, ms: e.restartMs });
        for (const [name, m] of Object.entries(e.measurements)) {
          results.measurements.push({ key: `embedded.${name}`, size: 'embedded', run, ...m });
          log(`embedded ${name}: ${m.rps} req/s, p50 ${m.p50} ms, ${m.cpuMsPerReq} CPU ms/req, RSS ${m.rssMiB} MiB, errors ${m.errors}`);
          if (m.errors) throw new Error(`embedded ${name}: ${m.errors} errors (statuses ${JSON.stringify(m.statuses)})`);
        }
        log(`embedded: cold start ${e.coldStartMs} ms on a new DATA_DIR, restart ${e.restartMs} ms, RSS under load ≤ ${e.rssMiB} MiB`);
      }
    }
  } finally {
    await db.end().catch(() => {});
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
