// `npm run build`: compiles the admin console's browser modules (tsconfig.json here) into
// dist/console/ and copies index.html and styles.css beside them. Cross-platform: node only.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, '../../../../../dist/console');
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
} catch {
  process.stderr.write('The admin console did not compile (see above)\n');
  process.exit(1);
}
mkdirSync(out, { recursive: true });
for (const file of ['index.html', 'styles.css']) copyFileSync(join(here, file), join(out, file));
process.stdout.write(`Admin console built into ${out}\n`);
