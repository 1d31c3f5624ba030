// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package or file.
// Run: `node bench/profile-summary.mjs bench/results/prof/example-api.cpuprofile [top=25] [--after=NAME]`
// --after=NAME ignores every sample before the first one whose stack holds a function NAME (e.g. the
// request handler), so that start-up (module loading, compiling) stays out of a load profile.
// --against=OTHER.cpuprofile --per-request=A_MS,B_MS compares two profiles of one load (e.g. Tessera and
// the Nest bound under refresh): each one's busy time (all but idle) by package or file, spread over
// its server CPU per request as the bench reported it (A_MS for FILE, B_MS for OTHER), so in µs per
// request, with the difference. An approximation: the profile is of the main thread only, and each
// share is applied to the CPU of all threads.
// Frames in a bundle with a source map beside it (dist/auth-service/bundle.js and bundle.js.map) are
// named by their original file and line, so that packages and project files count apart.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const after = option('after');
const against = option('against');
const perRequest = option('per-request')?.split(',').map(Number);
const [file, topArg] = args.filter((a) => !a.startsWith('--'));
if (!file || (against && (perRequest?.length !== 2 || perRequest.some((ms) => !(ms > 0))))) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [top] [--after=FUNCTION] [--against=OTHER.cpuprofile --per-request=A_MS,B_MS]');
  process.exit(2);
}
const top = Number(topArg ?? 25);

/** Self time (µs) of each sampled node of a profile, from the first sample under `after` when given. */
function selfTimes(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
  const stackHas = (id, name) => {
    for (let at = id; at !== undefined; at = parents.get(at)) if (nodes.get(at).callFrame.functionName === name) return true;
    return false;
  };
  // Self time per node: each sample is charged its interval (timeDeltas[i] belongs to samples[i]).
  const selfUs = new Map();
  let counting = !after;
  profile.samples.forEach((id, i) => {
    counting ||= stackHas(id, after);
    if (counting) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return { nodes, selfUs };
}

/** The package (node_modules/<name>), the project file, or node's own internals. */
function owner(url) {
  if (!url) return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  // class-validator's and TypeORM's own source maps point one folder too high once chained into the
  // bundle's (node_modules/src/…): their package name is lost there.
  if (pkg?.[1] === 'src') return "(a package's TypeScript, src/)";
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '').replace(/^.*\/(dist|apps|libs)\//, '$1/');
}

/** The bundle's source map, by the bundle's url; null where there is none. */
const sourceMaps = new Map();
function sourceMapOf(url) {
  if (!sourceMaps.has(url)) {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    const mapFile = `${path}.map`;
    sourceMaps.set(url, url.endsWith('.js') && existsSync(mapFile) ? { map: new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))), dir: path.replace(/[^/]*$/, '') } : null);
  }
  return sourceMaps.get(url);
}

/** Where a frame's code was written: the original file and line when a source map knows it. */
function original(callFrame) {
  const { url, lineNumber, columnNumber } = callFrame;
  const found = url ? sourceMapOf(url) : null;
  const entry = found?.map.findEntry(lineNumber, columnNumber);
  if (!entry?.originalSource) return { url, lineNumber };
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : new URL(entry.originalSource, `file://${found.dir}`).pathname;
  return { url: source, lineNumber: entry.originalLine };
}

/** A profile's self time by function and by package or file, its total and its busy (not idle) time, in µs. */
function summary(path) {
  const { nodes, selfUs } = selfTimes(JSON.parse(readFileSync(path, 'utf8')));
  const byFunction = new Map();
  const byOwner = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName } = nodes.get(id).callFrame;
    const { url, lineNumber } = original(nodes.get(id).callFrame);
    const fn = `${functionName || '(anonymous)'}  ${owner(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    total += us;
    if (functionName === '(idle)') idle += us;
    else {
      // Compared, V8's and native frames count apart by name (the garbage collector, a system call…).
      const where = against && !url ? `${functionName} (native / V8)` : owner(url);
      byOwner.set(where, (byOwner.get(where) ?? 0) + us);
    }
  }
  if (idle) byOwner.set('(idle)', idle);
  return { byFunction, byOwner, total, busy: total - idle };
}

const mine = summary(file);
if (against) {
  // Busy time only: idle is how long each sat waiting, not what a request cost.
  const theirs = summary(against);
  const perRequestUs = (s, ms, name) => ((s.byOwner.get(name) ?? 0) / s.busy) * ms * 1000;
  const names = new Set([...mine.byOwner.keys(), ...theirs.byOwner.keys()]);
  names.delete('(idle)');
  const rows = [...names].map((name) => [name, perRequestUs(mine, perRequest[0], name), perRequestUs(theirs, perRequest[1], name)]).sort((a, b) => b[1] - b[2] - (a[1] - a[2]));
  console.log(`\nBusy time by package or file, µs per request (${file} at ${perRequest[0]} ms, ${against} at ${perRequest[1]} ms)`);
  console.log(`${'first'.padStart(8)} ${'second'.padStart(8)} ${'diff'.padStart(8)}`);
  for (const [name, a, b] of rows.slice(0, top)) console.log(`${a.toFixed(1).padStart(8)} ${b.toFixed(1).padStart(8)} ${(a - b).toFixed(1).padStart(8)}  ${name}`);
  const rest = rows.slice(top).reduce((sum, [, a, b]) => sum + a - b, 0);
  console.log(`${''.padStart(17)} ${rest.toFixed(1).padStart(8)}  (the rest)`);
} else {
  const { byFunction, byOwner, total } = mine;
  const show = (title, map) => {
    console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
    for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((100 * us) / total).toFixed(1).padStart(6)} %  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
    }
  };
  show('Self time by function', byFunction);
  show('Self time by package or file', byOwner);
}
