// Builds @tessera/client into libs/client/dist: one ES module that a browser loads as it is
// (esbuild, no Node built-ins, no dependencies) and its type declarations (tsc). Node only.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(here, 'src', 'index.ts')],
  outfile: join(out, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
});
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.lib.json')], { stdio: 'inherit' });
} catch {
  process.stderr.write('The client type declarations did not compile (see above)\n');
  process.exit(1);
}
// The sources import without extensions (as the rest of the monorepo); ESM resolution in Node
// (TypeScript's `nodenext`) needs them in the declarations that users' compilers read.
for (const entry of readdirSync(out, { recursive: true })) {
  const file = join(out, String(entry));
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+?)(?<!\.js)\2/g, '$1$2$3.js$2'));
}
process.stdout.write(`@tessera/client built into ${out}\n`);
