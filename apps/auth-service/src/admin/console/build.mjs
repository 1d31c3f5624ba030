// `npm run build`: bundles the admin console (main.ts, with @tessera/client and the shared event
// list) into one browser module, dist/console/main.js, with esbuild, and copies index.html and
// styles.css (and the chart library's stylesheet, as uplot.css) beside it. Types are checked by `npm run typecheck` (esbuild only strips them).
// Cross-platform: node only.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../../..');
const out = join(root, 'dist', 'console');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
try {
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile: join(out, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    // The library's sources, as the rest of the monorepo uses them (tsconfig paths).
    alias: { '@tessera/client': join(root, 'libs', 'client', 'src', 'index.ts') },
    tsconfig: join(here, 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'warning',
  });
} catch {
  process.stderr.write('The admin console did not build (see above)\n');
  process.exit(1);
}
for (const file of ['index.html', 'styles.css']) copyFileSync(join(here, file), join(out, file));
// The chart library's stylesheet, as a file of its own (the CSP refuses inline styles).
copyFileSync(join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), join(out, 'uplot.css'));
process.stdout.write(`Admin console built into ${out}\n`);
