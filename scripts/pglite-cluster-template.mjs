// Part of `npm run build`: an empty embedded PostgreSQL cluster (PGlite's initdb, about 4.5 s here),
// made once at build time in dist/pglite-cluster, so that a first start on a new DATA_DIR copies it
// instead of running initdb (embedded-cluster.ts). Nothing secret is in it: no schema, no keys, no
// users; the service migrates and generates its keys on the copy. Remade only when the installed
// PGlite is another version than the one that made it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATE = join(ROOT, 'dist/pglite-cluster');
const require = createRequire(import.meta.url);

// The service's own check of the installed PGlite and the stamp it reads (embedded-cluster.ts, compiled just before).
const { installedPgliteVersion, TEMPLATE_STAMP } = require(join(ROOT, 'dist/apps/auth-service/apps/auth-service/src/database/embedded-cluster.js'));
const version = installedPgliteVersion();
const stamp = join(TEMPLATE, TEMPLATE_STAMP);
if (existsSync(stamp) && JSON.parse(readFileSync(stamp, 'utf8')).pglite === version) process.exit(0);
const pending = `${TEMPLATE}.pending-${process.pid}`;
rmSync(pending, { recursive: true, force: true });
// In a child: PGlite's memory grows during initdb and this build step should not keep it.
execFileSync(process.execPath, ['-e', `require(${JSON.stringify(require.resolve('@electric-sql/pglite'))}).PGlite.create(${JSON.stringify(pending)}).then((p) => p.close())`], { stdio: 'inherit' });
if (!existsSync(join(pending, 'PG_VERSION'))) throw new Error('initdb left no PG_VERSION');
writeFileSync(join(pending, TEMPLATE_STAMP), `${JSON.stringify({ pglite: version })}\n`);
rmSync(TEMPLATE, { recursive: true, force: true });
renameSync(pending, TEMPLATE);
process.stdout.write(`dist/pglite-cluster: an empty embedded cluster (PGlite ${version}) for first starts\n`);
