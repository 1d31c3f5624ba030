// Part of `npm run build`: an embedded PostgreSQL cluster (PGlite's initdb, about 4.5 s here) with
// the service's migrations already run, made once at build time in dist/pglite-cluster, so that a
// first start on a new DATA_DIR copies it instead of running initdb and every migration
// (embedded-cluster.ts). Nothing secret or per-deployment is in it: the schema only, no keys, no
// users, no data keys; the service generates its keys and its bootstrap admin on the copy. Its stamp
// names the PGlite that made it and the migrations it holds: remade when either changes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATE = join(ROOT, 'dist/pglite-cluster');
const require = createRequire(import.meta.url);

// The service's own stamp, data source and migrations (compiled just before).
const DATABASE = join(ROOT, 'dist/apps/auth-service/apps/auth-service/src/database');
const { currentTemplateStamp, TEMPLATE_STAMP } = require(join(DATABASE, 'embedded-cluster.js'));
const { createDataSource, runMigrations } = require(join(DATABASE, 'data-source.js'));
const stamp = currentTemplateStamp();
const stampFile = join(TEMPLATE, TEMPLATE_STAMP);
if (existsSync(stampFile) && isDeepStrictEqual(JSON.parse(readFileSync(stampFile, 'utf8')), stamp)) process.exit(0);

// A DATA_DIR of its own, so that the service's data source (with its directory lock) opens it.
const pendingDataDir = `${TEMPLATE}.pending-${process.pid}`;
const pgdata = join(pendingDataDir, 'pgdata');
rmSync(pendingDataDir, { recursive: true, force: true });
mkdirSync(pendingDataDir);
try {
  // initdb in a child: PGlite's memory grows during initdb and this build step need not keep it.
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(require.resolve('@electric-sql/pglite'))}).PGlite.create(${JSON.stringify(pgdata)}).then((p) => p.close())`], { stdio: 'inherit' });
  if (!existsSync(join(pgdata, 'PG_VERSION'))) throw new Error('initdb left no PG_VERSION');
  const dataSource = await createDataSource({ db: { driver: 'pglite', dataDir: pendingDataDir } });
  let ran;
  try {
    ran = await runMigrations(dataSource, { db: { driver: 'pglite', dataDir: pendingDataDir } });
  } finally {
    await dataSource.destroy(); // closes PGlite (a clean shutdown: the copy starts without recovery)
  }
  if (!isDeepStrictEqual(ran, stamp.migrations)) throw new Error(`the migrations run (${ran.join(', ')}) are not the service's (${stamp.migrations.join(', ')})`);
  writeFileSync(join(pgdata, TEMPLATE_STAMP), `${JSON.stringify(stamp)}\n`);
  rmSync(TEMPLATE, { recursive: true, force: true });
  renameSync(pgdata, TEMPLATE);
} finally {
  rmSync(pendingDataDir, { recursive: true, force: true });
}
process.stdout.write(`dist/pglite-cluster: an embedded cluster (PGlite ${stamp.pglite}) with the ${stamp.migrations.length} migrations, for first starts\n`);
