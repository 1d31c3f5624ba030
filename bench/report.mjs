// What bench/run.mjs writes: the targets (ratios to the floor and the peer measured in the same
// run, growth of p50 with the table sizes, RSS under load, cold start), met or missed; every
// measurement; the chart (vega-lite compiled, rendered headless by vega's View.toSVG()).
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { round } from './harness.mjs';

const LABELS = {
  'login.tessera': 'Tessera POST /api/auth/login',
  'login.floor': 'floor: node:http + pg + argon2 + jose',
  'refresh.tessera': 'Tessera POST /api/auth/refresh',
  'refresh.oauth': 'Tessera POST /oauth/token (refresh_token)',
  'refresh.floor': 'floor: node:http + pg (5 round trips) + jose',
  'refresh.peer': 'peer: oidc-provider on PostgreSQL, POST /token',
  'refresh.bound-http': 'bound: node:http + pg (one statement) + node:crypto',
  'refresh.bound-nest': 'bound: the same in bare Nest + Fastify + ValidationPipe',
  'me.tessera': 'Tessera GET /api/auth/me',
  'me.floor': 'floor: node:http + jose + one pg read',
  'hello.example': 'example API GET /api/hello',
  'hello.floor': 'floor: node:http + jose',
  'logs.tessera': 'Tessera GET /api/admin/security-logs (type + 7 days)',
  'embedded.login': 'embedded: POST /api/auth/login',
  'embedded.refresh': 'embedded: POST /api/auth/refresh',
  'embedded.me': 'embedded: GET /api/auth/me',
};

const find = (r, key, size, run) => r.measurements.find((m) => m.key === key && m.size === size && m.run === run);
const runsOf = (r) => Array.from({ length: r.runs }, (_, i) => i + 1);

/**
 * Requests/s of `a` over `b` at the small size in one run, or undefined when either was not
 * measured. Not rounded: a target is judged on the ratio as measured (1.205 misses ≤ 1.2), and only
 * the tables round it.
 */
function rpsRatio(r, a, b, run) {
  const [x, y] = [find(r, a, 'small', run), find(r, b, 'small', run)];
  return x && y ? x.rps / y.rps : undefined;
}

/** Every target: per run its value (undefined when a part was not measured), and the rule. */
export function targets(r) {
  const ratio = (a, b) => (run) => rpsRatio(r, a, b, run);
  const growth = (key) => (run) => {
    const [s, l] = [find(r, key, 'small', run), find(r, key, 'large', run)];
    return s && l ? l.p50 / s.p50 : undefined;
  };
  const rssPg = (run) => {
    const list = r.measurements.filter((m) => m.run === run && m.key.endsWith('.tessera'));
    return list.length ? Math.max(...list.map((m) => m.rssMiB)) : undefined;
  };
  const embeddedRss = (run) => r.embedded.find((e) => e.run === run)?.rssMiB;
  const cold = (what) => (run) => r.coldStart.find((c) => c.what === what && c.run === run && (c.size ?? 'small') === 'small')?.ms;
  const list = [
    { name: 'login / floor', value: ratio('login.tessera', 'login.floor'), op: '≥', target: 0.85, chart: true },
    { name: 'refresh / floor (5 round trips)', value: ratio('refresh.tessera', 'refresh.floor'), op: '≥', target: 1.0, chart: true },
    { name: 'refresh / peer', value: ratio('refresh.tessera', 'refresh.peer'), op: '≥', target: 1.5, chart: true },
    { name: '/oauth/token refresh / floor', value: ratio('refresh.oauth', 'refresh.floor'), op: '≥', target: 1.0, chart: true },
    { name: '/oauth/token refresh / peer', value: ratio('refresh.oauth', 'refresh.peer'), op: '≥', target: 1.5, chart: true },
    { name: 'example API verify / floor', value: ratio('hello.example', 'hello.floor'), op: '≥', target: 0.8, chart: true },
    { name: '/me / floor', value: ratio('me.tessera', 'me.floor'), op: '≥', target: 0.6, chart: true },
    { name: 'refresh p50, large / small', value: growth('refresh.tessera'), op: '≤', target: 1.2, digits: 3 },
    { name: 'login p50, large / small', value: growth('login.tessera'), op: '≤', target: 1.2, digits: 3 },
    { name: 'log page p50, large / small', value: growth('logs.tessera'), op: '≤', target: 1.5, digits: 3 },
    { name: 'RSS under load, PostgreSQL (MiB)', value: rssPg, op: '<', target: 250 },
    { name: 'RSS under load, embedded (MiB)', value: embeddedRss, op: '<', target: 400 },
    { name: 'cold start, PostgreSQL, migrated (ms)', value: cold('postgres-migrated'), op: '<', target: 1000 },
    { name: 'cold start, embedded, new DATA_DIR (ms)', value: cold('embedded-new'), op: '<', target: 3000 },
  ];
  return list.map((t) => {
    const values = runsOf(r).map(t.value).filter((v) => v !== undefined);
    const ok = (v) => (t.op === '≥' ? v >= t.target : t.op === '≤' ? v <= t.target : v < t.target);
    return { ...t, values, met: values.filter(ok).length };
  });
}

/**
 * No targets: where the time of a refresh goes. The bounds (bench/bounds/) do Tessera's job alone,
 * on node:http and in a bare Nest + Fastify app; against the peer they show what this stack allows,
 * and Tessera against the Nest bound what the rest of the service costs.
 */
export function context(r) {
  const ratio = (a, b) => runsOf(r).map((run) => rpsRatio(r, a, b, run)).filter((v) => v !== undefined);
  const cpu = (key) => r.measurements.filter((m) => m.key === key && m.size === 'small').map((m) => m.cpuMsPerReq);
  return [
    { name: 'refresh bound, node:http / peer', values: ratio('refresh.bound-http', 'refresh.peer') },
    { name: 'refresh bound, bare Nest + Fastify / peer', values: ratio('refresh.bound-nest', 'refresh.peer') },
    { name: 'refresh, Tessera / bound in bare Nest + Fastify', values: ratio('refresh.tessera', 'refresh.bound-nest') },
    { name: 'server CPU ms per refresh: Tessera', values: cpu('refresh.tessera'), digits: 3 },
    { name: 'server CPU ms per refresh: bound in bare Nest + Fastify', values: cpu('refresh.bound-nest'), digits: 3 },
    { name: 'server CPU ms per refresh: bound on node:http', values: cpu('refresh.bound-http'), digits: 3 },
    { name: 'server CPU ms per refresh: peer', values: cpu('refresh.peer'), digits: 3 },
  ];
}

function contextRows(r) {
  const rows = ['| where a refresh\'s time goes (no target) | measured |', '|---|---|'];
  for (const c of context(r)) rows.push(`| ${c.name} | ${span(c.values, c.digits)} |`);
  return rows.join('\n');
}

const span = (all, digits = 2) => {
  const values = all.filter(Number.isFinite);
  if (!values.length) return '–';
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return lo === hi ? String(round(lo, digits)) : `${round(lo, digits)}–${round(hi, digits)}`;
};

function targetRows(r) {
  const rows = ['| target | measured | goal | |', '|---|---|---|---|'];
  for (const t of targets(r)) {
    const verdict = !t.values.length ? 'not measured' : t.met === t.values.length ? 'met' : t.met === 0 ? '**missed**' : `met in ${t.met} of ${t.values.length} runs`;
    rows.push(`| ${t.name} | ${span(t.values, t.digits)} | ${t.op} ${t.target} | ${verdict} |`);
  }
  return rows.join('\n');
}

function measurementRows(r) {
  const rows = ['| size | what | req/s | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | load generator CPU ms/req | RSS MiB | errors |', '|---|---|---|---|---|---|---|---|---|---|'];
  const keys = [...new Set(r.measurements.map((m) => `${m.size}\u0000${m.key}`))];
  for (const k of keys) {
    const [size, key] = k.split('\u0000');
    const list = r.measurements.filter((m) => m.size === size && m.key === key);
    const col = (f, d) => span(list.map(f), d);
    rows.push(`| ${size} | ${LABELS[key] ?? key} | ${col((m) => m.rps, 0)} | ${col((m) => m.p50)} | ${col((m) => m.p99)} | ${col((m) => m.cpuMsPerReq, 3)} | ${col((m) => (key.startsWith('embedded') ? NaN : m.dbCpuMsPerReq ?? NaN), 3)} | ${col((m) => m.loadCpuMsPerReq ?? NaN, 3)} | ${col((m) => m.rssMiB, 0)} | ${list.reduce((n, m) => n + m.errors, 0)} |`);
  }
  return rows.join('\n');
}

export function reportMarkdown(r, svgName) {
  const m = r.machine;
  const cold = (what) => span(r.coldStart.filter((c) => c.what === what).map((c) => c.ms), 0);
  const seeding = r.seeding.map((s) => `${s.size}: ${s.users.toLocaleString('en')} users/sessions/refresh tokens (${round(s.usersMs / 1000)} s), ${s.events.toLocaleString('en')} sealed security events (${round(s.eventsMs / 1000)} s, of which the INSERT and its index builds ${round(s.eventsInsertMs / 1000)} s)`);
  return `# Tessera benchmark${r.quick ? ' (--quick: a check of the harness, not figures to quote)' : ''}

${m.date.slice(0, 16).replace('T', ' ')} UTC, commit ${m.commit}${m.dirty ? ' (with uncommitted changes)' : ''}; ${m.cores} cores (${m.cpu}), Node ${m.node},
PostgreSQL ${m.postgres}; load average ${m.loadBefore.join(' ')} before, ${m.loadAfter.join(' ')} after (the bench itself adds
about 2). ${r.connections} connections (autocannon), ${r.durationS} s measured after ${r.warmupS} s of warm-up, ${r.runs} run${r.runs > 1 ? 's (figures: min–max)' : ''};
per scenario, the contenders (Tessera at each size, the floors, the peer) measured in turn${r.slices > 1 ? `, in ${r.slices} slices of ${round(r.durationS / r.slices)} s, each after ${r.rewarmS} s of load not measured` : ''};
argon2id at the service's defaults (${r.argon2?.memoryCost} KiB, t=${r.argon2?.timeCost}, p=${r.argon2?.parallelism}), limits and lockout off.
Ratios are of requests/s, measured in the same run. Chart: [${svgName}](${svgName}).

## Targets

${targetRows(r)}

${contextRows(r)}

## Measurements

Sizes: ${seeding.join('; ') || 'none'}. Server CPU per request: CPU seconds of the server process
(all threads) over the measured window / requests answered; PostgreSQL CPU per request: the same for
every PostgreSQL server process on the machine (the embedded database runs inside the service, so
its share is in the server's); RSS: the highest sample under load.

${measurementRows(r)}

Cold start (spawn → \`/health/ready\` 200, ms): PostgreSQL, migrated database ${cold('postgres-migrated')}; PostgreSQL, fresh
database (migrations run) ${cold('postgres-fresh')}; embedded, new DATA_DIR ${cold('embedded-new')}; embedded, restart ${cold('embedded-restart')}.
`;
}

/** The README's table: the targets only (the rest is in latest.md). */
export function readmeTable(r) {
  const m = r.machine;
  return `${targetRows(r)}

${contextRows(r)}

From \`npm run bench\` on ${m.date.slice(0, 10)} (commit ${m.commit}, ${m.cores} cores, Node ${m.node}, PostgreSQL ${m.postgres}, load average
${m.loadBefore[0]} before and ${m.loadAfter[0]} after). All figures: [bench/results/latest.md](bench/results/latest.md); chart:
[bench/results/latest.svg](bench/results/latest.svg).
`;
}

/** Two panels: each ratio per run with its target; p50 of Tessera at the small and the large size. */
export function chartSpec(r) {
  const ratios = [];
  const goals = [];
  for (const t of targets(r).filter((x) => x.chart)) {
    t.values.forEach((v, i) => ratios.push({ target: t.name, run: `run ${i + 1}`, ratio: v, verdict: (t.op === '≥' ? v >= t.target : v <= t.target) ? 'met' : 'missed' }));
    goals.push({ target: t.name, goal: t.target });
  }
  const growth = r.measurements
    .filter((m) => ['login.tessera', 'refresh.tessera', 'logs.tessera'].includes(m.key) && m.size !== 'embedded')
    .map((m) => ({ scenario: { 'login.tessera': 'login', 'refresh.tessera': 'refresh', 'logs.tessera': 'log page (type + 7 days)' }[m.key], size: m.size === 'small' ? '10⁴ users, 10⁵ events' : '10⁶ users, 10⁷ events', run: m.run, p50: m.p50 }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Tessera, ${r.machine.date.slice(0, 10)}, commit ${r.machine.commit}${r.quick ? ' (--quick)' : ''}`,
    config: { font: 'sans-serif', axis: { labelLimit: 320 }, legend: { labelLimit: 300 } },
    resolve: { scale: { color: 'independent', shape: 'independent' }, legend: { color: 'independent', shape: 'independent' } },
    vconcat: [
      {
        title: 'Requests/s relative to the floor or the peer (tick: target)',
        width: 520,
        height: { step: 22 },
        layer: [
          { data: { values: ratios }, mark: { type: 'point', filled: true, size: 70 }, encoding: { y: { field: 'target', type: 'nominal', title: null, sort: null }, x: { field: 'ratio', type: 'quantitative', title: 'ratio' }, color: { field: 'verdict', type: 'nominal', title: 'target', scale: { domain: ['met', 'missed'], range: ['#2a9d3c', '#d1372c'] } } } },
          { data: { values: goals }, mark: { type: 'tick', color: '#333', thickness: 2 }, encoding: { y: { field: 'target', type: 'nominal', sort: null }, x: { field: 'goal', type: 'quantitative' } } },
        ],
      },
      {
        title: 'p50 latency (ms) of Tessera as the tables grow (one point per run)',
        width: 520,
        height: { step: 26 },
        data: { values: growth },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.8 },
        encoding: {
          y: { field: 'scenario', type: 'nominal', title: null, axis: { labelLimit: 320 } },
          x: { field: 'p50', type: 'quantitative', title: 'p50 ms (log scale)', scale: { type: 'log' } },
          color: { field: 'size', type: 'nominal', title: 'tables', scale: { range: ['#4c78a8', '#f58518'] } },
          shape: { field: 'size', type: 'nominal' },
        },
      },
    ],
  };
}

export async function renderSvg(spec) {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
