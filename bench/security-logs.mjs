// Security-log review benchmark (issue: "10⁶ rows, a page of 50 under 50 ms p50"). Starts the service
// on a fresh PostgreSQL database, seeds 1,000,000 rows with one INSERT … SELECT FROM generate_series,
// then times GET /api/admin/security-logs over HTTP for four filters (first page, and pages 1–5 by
// next_cursor), and EXPLAINs the SQL each filter produces to show which index serves it.
// Run: `node bench/security-logs.mjs` (needs PostgreSQL on 127.0.0.1:5432, trust auth; JSON in bench/results/).
import { execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'dist/apps/auth-service/apps/auth-service/src/main.js');
const PG = 'postgres://postgres@127.0.0.1:5432';
const DB = `tessera_bench_seclogs_${randomBytes(4).toString('hex')}`; // fresh each run: no state carried over
const ROWS = 1_000_000;
const ADMIN = { email: 'admin@example.com', password: 'admin pass phrase 1' };
const WARMUP = 20, FIRST_PAGE_RUNS = 200, DEEP_WALKS = 20, DEEP_PAGES = 5; // 20 walks × 5 pages = 100 requests
const TARGET_P50_MS = 50;
const START_TIMEOUT_MS = 120_000, REQUEST_TIMEOUT_MS = 15_000;
// Ordered most to least frequent: the seed picks index floor(15·r^2.5), a skew close to a real log
// (refreshes and logins dominate, key rotations are rare). login_failure comes out at ≈8 %.
const TYPES = ['token_refreshed', 'login_success', 'login_failure', 'admin_action', 'logout', 'rate_limited', 'refresh_failed', 'user_registered',
  'session_revoked', 'password_changed', 'account_locked', 'account_unlocked', 'logout_all', 'refresh_token_reuse_detected', 'signing_key_rotated'];

let child = null;
const kill = () => child?.exitCode === null && child.kill('SIGKILL');
process.on('exit', kill); // last resort: never leave the service running
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { kill(); process.exit(130); });

// ---- service --------------------------------------------------------------------------------
function start() {
  // Builds only when dist is missing (others may be editing sources: rebuilding is their call).
  if (!existsSync(ENTRY)) execSync('npx nest build auth-service', { cwd: ROOT, stdio: 'inherit' });
  const env = { PATH: process.env.PATH, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `${PG}/${DB}`,
    KEYS_ENCRYPTION_SECRET: randomBytes(36).toString('base64'), // 48 chars
    ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1', BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password };
  child = spawn(process.execPath, [ENTRY], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  let out = '';
  return new Promise((resolve, reject) => {
    const fail = (why) => { clearTimeout(timer); reject(new Error(`service ${why}\n  ${tail.join('\n  ')}`)); };
    const timer = setTimeout(() => fail('not listening in time'), START_TIMEOUT_MS);
    const keep = (c) => { tail.push(...c.toString().split('\n').filter(Boolean)); tail.splice(0, Math.max(0, tail.length - 20)); };
    child.stderr.on('data', keep);
    child.stdout.on('data', (c) => {
      keep(c);
      if (out === null) return; // listening already: keep draining the pipe
      out += c;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) { out = null; clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.once('exit', (code, sig) => fail(`exited (${sig ?? code}) before listening`));
  });
}

// node:http with keep-alive: one connection, as an admin console would hold, and no per-request setup.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function request(port, method, path, { body, token } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { accept: 'application/json' };
    if (body) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => {
        if (res.statusCode >= 300) return reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
        resolve(JSON.parse(text));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`))).on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

// ---- seed -----------------------------------------------------------------------------------
// A deterministic v4-shaped UUID from text: the API validates user_id as an RFC 4122 UUID.
const uuid = (text) => `overlay(overlay(md5(${text}) placing '4' from 13) placing '8' from 17)::uuid`;
async function seed(db) {
  const t0 = performance.now();
  await db.query('BEGIN');
  // The sealer's own advisory lock: while held, the service cannot seal its start-up rows, so the
  // offset read here stays the chain head and the seeded seq values cannot collide with it.
  await db.query('SELECT pg_advisory_xact_lock(7310005)');
  const [{ offset }] = (await db.query('SELECT coalesce(max(seq), 0)::bigint AS "offset" FROM security_logs')).rows;
  await db.query('SELECT setseed(0.42)'); // same data every run
  // created_at advances with g (like ids in a live log) over the last 90 days, ±1 s of jitter.
  // Users and IPs are skewed (r² picks low numbers more often): a few busy accounts, a long tail.
  // The laterals mention g so they run per row (uncorrelated, they would run once); OFFSET 0 keeps
  // each random() a single value however often the outer query refers to it.
  // seq/chain are set: the sealer then finds nothing to do, instead of sealing 10⁶ rows mid-run.
  await db.query(`
    INSERT INTO security_logs (event_type, user_id, identifier, ip, user_agent, session_id, request_id, details, created_at, mac, seq, chain)
    SELECT t.type,
           CASE WHEN t.type IN ('rate_limited', 'signing_key_rotated') OR (t.type = 'login_failure' AND r.a < 0.3) THEN NULL ELSE ${uuid("'user' || r.u")} END,
           CASE WHEN t.type LIKE 'login%' OR t.type = 'rate_limited' THEN 'user' || r.u || '@example.com' END,
           CASE WHEN t.type = 'signing_key_rotated' THEN NULL ELSE format('10.0.%s.%s', r.i / 250, r.i % 250 + 1) END,
           (ARRAY['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'Mozilla/5.0 (Macintosh) Safari/17.4', 'okhttp/4.12.0', 'curl/8.5.0'])[1 + (g % 4)],
           CASE WHEN t.type IN ('login_success', 'token_refreshed', 'logout') THEN ${uuid("'session' || (g / 20)")} END,
           substr(md5(g::text), 1, 26),
           CASE WHEN t.type = 'login_failure' THEN '{"reason":"invalid_credentials"}'::jsonb
                WHEN t.type = 'admin_action' THEN '{"action":"users.read"}'::jsonb ELSE '{}'::jsonb END,
           now() - interval '90 days' + g * interval '7776 milliseconds' - r.a * interval '1 second',
           sha256(int8send(g)), $1::bigint + g, sha256(int8send(-g))
      FROM generate_series(1, ${ROWS}) AS g
     CROSS JOIN LATERAL (SELECT random() AS a, floor(10000 * random() ^ 2)::int AS u, floor(5000 * random() ^ 2)::int AS i, random() AS k WHERE g > 0 OFFSET 0) AS r
     CROSS JOIN LATERAL (SELECT ($2::text[])[1 + floor(15 * r.k ^ 2.5)::int] AS type OFFSET 0) AS t`, [offset, TYPES]);
  await db.query('COMMIT');
  const insertMs = performance.now() - t0;
  await db.query('VACUUM (ANALYZE) security_logs'); // steady state: statistics, hint bits, visibility map
  const [stats] = (await db.query(`SELECT count(*)::int AS rows, count(DISTINCT user_id)::int AS users, count(DISTINCT ip)::int AS ips,
    count(*) FILTER (WHERE event_type = 'login_failure')::int AS login_failures, count(*) FILTER (WHERE user_id IS NULL)::int AS no_user,
    pg_size_pretty(pg_total_relation_size('security_logs')) AS size FROM security_logs`)).rows;
  return { ...stats, insertMs: round(insertMs), totalMs: round(performance.now() - t0) };
}

// ---- measurement ----------------------------------------------------------------------------
const round = (x) => Math.round(x * 100) / 100;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
function summary(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: round(pct(s, 50)), p95: round(pct(s, 95)), p99: round(pct(s, 99)), max: round(s[s.length - 1]) };
}
async function timed(fn) { const t = performance.now(); const r = await fn(); return [performance.now() - t, r]; }

async function measure(port, token, query) {
  const page = (cursor) => request(port, 'GET', `/api/admin/security-logs?${[query, 'limit=50', cursor && `cursor=${cursor}`].filter(Boolean).join('&')}`, { token });
  const first = await page();
  if (first.items.length !== 50) throw new Error(`${query}: first page has ${first.items.length} items, not 50`);
  for (let i = 0; i < WARMUP; i++) await page(); // JIT, pool connections, buffer cache
  const firstMs = [];
  for (let i = 0; i < FIRST_PAGE_RUNS; i++) firstMs.push((await timed(() => page()))[0]);
  const deepMs = [];
  let cursor5 = null; // the cursor of page 5, for its EXPLAIN
  for (let w = 0; w < DEEP_WALKS; w++) {
    let cursor;
    for (let p = 1; p <= DEEP_PAGES; p++) {
      const [ms, body] = await timed(() => page(cursor));
      deepMs.push(ms);
      if (p === DEEP_PAGES) cursor5 = cursor;
      cursor = body.next_cursor;
      if (!cursor) break; // fewer than 5 pages match: start the walk again
    }
  }
  return { firstPage: summary(firstMs), pages1to5: summary(deepMs), cursor5 };
}

/** The SQL the repository builds (same columns, predicates, order and LIMIT limit+1), under EXPLAIN. */
async function explain(db, where, params, cursor) {
  const conds = [...where];
  const values = [...params];
  if (cursor) {
    const { t, id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    values.push(new Date(t), id);
    conds.push(`(l.created_at, l.id) < ($${values.length - 1}, $${values.length})`);
  }
  const sql = `EXPLAIN (ANALYZE, BUFFERS) SELECT l.id, l.event_type, l.user_id, l.identifier, l.ip, l.user_agent, l.session_id, l.request_id, l.details, l.created_at
    FROM security_logs l ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY l.created_at DESC, l.id DESC LIMIT 51`;
  const plan = (await db.query(sql, values)).rows.map((r) => r['QUERY PLAN']);
  const access = plan.find((l) => /Scan|Sort/.test(l))?.trim();
  return { top: plan[0], access, execution: plan.find((l) => l.startsWith('Execution Time')), seqScanOrSort: plan.some((l) => /Seq Scan|Sort {2}\(/.test(l)), plan };
}

// ---- main -----------------------------------------------------------------------------------
async function main() {
  const admin = new pg.Client({ connectionString: `${PG}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  let db;
  try {
    const port = await start(); // runs the migrations
    db = new pg.Client({ connectionString: `${PG}/${DB}` });
    await db.connect();
    const seeded = await seed(db);
    console.log(`seeded ${seeded.rows} rows (${seeded.users} users, ${seeded.ips} IPs, ${seeded.login_failures} login_failure, ${seeded.size}) in ${seeded.insertMs} ms, +VACUUM ANALYZE ${seeded.totalMs} ms`);
    const { access_token: token } = await request(port, 'POST', '/api/auth/login', { body: ADMIN });
    // The busiest user and IP: enough rows for 5 pages (every value uses the same index path).
    const [{ user_id: user, n: userRows }] = (await db.query('SELECT user_id, count(*)::int AS n FROM security_logs WHERE user_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1')).rows;
    const [{ ip, n: ipRows }] = (await db.query('SELECT ip, count(*)::int AS n FROM security_logs WHERE ip IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1')).rows;
    const [{ now }] = (await db.query('SELECT now() AS now')).rows;
    const from = new Date(now - 48 * 86_400_000).toISOString(), to = new Date(now - 41 * 86_400_000).toISOString(); // 7 days mid-range
    const cases = [
      { name: 'no filter', query: '', where: [], params: [] },
      { name: 'event_type+7d', query: `event_type=login_failure&from=${from}&to=${to}`, where: ['l.event_type IN ($1)', 'l.created_at >= $2', 'l.created_at < $3'], params: ['login_failure', from, to] },
      { name: `user_id (${userRows} rows)`, query: `user_id=${user}`, where: ['l.user_id = $1'], params: [user] },
      { name: `ip (${ipRows} rows)`, query: `ip=${ip}`, where: ['l.ip = $1'], params: [ip] },
    ];
    const results = [];
    for (const c of cases) {
      const timing = await measure(port, token, c.query);
      const plans = { firstPage: await explain(db, c.where, c.params), page5: await explain(db, c.where, c.params, timing.cursor5) };
      results.push({ name: c.name, query: c.query, ...timing, pass: timing.firstPage.p50 < TARGET_P50_MS && timing.pages1to5.p50 < TARGET_P50_MS, plans });
    }
    const { rows: [{ server_version: version }] } = await db.query('SHOW server_version');
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/security-logs.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, postgres: version, seeded, results }, null, 2));
    const row = (cells) => cells.map((c, i) => String(c).padEnd(i ? 18 : 20)).join('');
    console.log(`\nGET /api/admin/security-logs, limit=50, sequential over HTTP (ms; first page ×${FIRST_PAGE_RUNS}, pages 1–5 ×${DEEP_WALKS * DEEP_PAGES})`);
    console.log(row(['filter', 'first p50/p95/p99', 'p1–5 p50/p95/p99', `p50 < ${TARGET_P50_MS} ms`]));
    for (const r of results) console.log(row([r.name, `${r.firstPage.p50}/${r.firstPage.p95}/${r.firstPage.p99}`, `${r.pages1to5.p50}/${r.pages1to5.p95}/${r.pages1to5.p99}`, r.pass ? 'yes' : 'NO']));
    console.log('\nPlans (EXPLAIN ANALYZE, BUFFERS: first page, then page 5 by cursor)');
    for (const r of results) for (const [k, p] of Object.entries(r.plans)) console.log(`${r.name} [${k}]${p.seqScanOrSort ? ' SEQ SCAN/SORT!' : ''}\n  ${p.top}\n  ${p.access}\n  ${p.execution}`);
  } finally {
    await db?.end();
    if (child && child.exitCode === null) { const exited = once(child, 'exit'); child.kill('SIGTERM'); const t = setTimeout(kill, 30_000); await exited; clearTimeout(t); }
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
    agent.destroy();
  }
}

main().catch((error) => { console.error(error); process.exitCode = 1; });
