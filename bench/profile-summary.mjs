// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package or file.
// Run: `node bench/profile-summary.mjs bench/results/prof/example-api.cpuprofile [top=25] [--after=NAME]`
// --after=NAME ignores every sample before the first one whose stack holds a function NAME (e.g. the
// request handler), so that start-up (module loading, compiling) stays out of a load profile.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const after = args.find((a) => a.startsWith('--after='))?.slice(8);
const [file, topArg] = args.filter((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [top] [--after=FUNCTION]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
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
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** The package (node_modules/<name>), the project file, or node's own internals. */
function owner(url) {
  if (!url) return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '').replace(/^.*\/dist\//, 'dist/');
}

const byFunction = new Map();
const byOwner = new Map();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const fn = `${functionName || '(anonymous)'}  ${owner(url)}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byOwner.set(owner(url), (byOwner.get(owner(url)) ?? 0) + us);
}

const show = (title, map) => {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(6)} %  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
  }
};
show('Self time by function', byFunction);
show('Self time by package or file', byOwner);
