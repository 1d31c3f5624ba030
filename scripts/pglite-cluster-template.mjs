// Part of `npm run build`: an empty embedded PostgreSQL cluster (PGlite's initdb, about 4.5 s here),
// made once at build time in dist/pglite-cluster, so that a first start on a new DATA_DIR copies it
// instead of running initdb (embedded-cluster.ts). Nothing secret is in it: no schema, no keys, no
// users; the service migrates and generates its keys on the copy. Remade only when the installed
// PGlite is another version than the one that made it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATE = join(ROOT, 'dist/pglite-cluster');
const require = createRequire(import.meta.url);

export function pgliteVersion() {
  for (let dir = dirname(require.resolve('@electric-sql/pglite')); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (name === '@electric-sql/pglite') return version;
    }
  }
  throw new Error('@electric-sql/pglite: no package.json found');
}

const version = pgliteVersion();
const stamp = join(TEMPLATE, 'tessera-template.json');
if (existsSync(stamp) && JSON.parse(readFileSync(stamp, 'utf8')).pglite === version) process.exit(0);
const pending = `${TEMPLATE}.pending-${process.pid}`;
rmSync(pending, { recursive: true, force: true });
// In a child: PGlite's memory grows during initdb and this build step should not keep it.
execFileSync(process.execPath, ['-e', `require(${JSON.stringify(require.resolve('@electric-sql/pglite'))}).PGlite.create(${JSON.stringify(pending)}).then((p) => p.close())`], { stdio: 'inherit' });
if (!existsSync(join(pending, 'PG_VERSION'))) throw new Error('initdb left no PG_VERSION');
writeFileSync(join(pending, 'tessera-template.json'), `${JSON.stringify({ pglite: version })}\n`);
rmSync(TEMPLATE, { recursive: true, force: true });
renameSync(pending, TEMPLATE);
process.stdout.write(`dist/pglite-cluster: an empty embedded cluster (PGlite ${version}) for first starts\n`);
