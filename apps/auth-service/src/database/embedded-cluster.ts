import { execFile } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** initdb of a new cluster takes seconds; far longer means something is wrong. */
const INITDB_TIMEOUT_MS = 180_000;

/** A new cluster is made here first and renamed into place only once it is complete. */
const pendingDir = (pgdata: string) => `${pgdata}.initdb`;

/** The child: opening PGlite on an empty directory runs initdb; closing it makes the cluster durable. */
const INITDB_SCRIPT = `
const { PGlite } = require(process.argv[1]);
PGlite.create(process.argv[2])
  .then((pglite) => pglite.close())
  .catch((error) => { process.stderr.write(String(error && error.message || error)); process.exit(1); });
`;

export class EmbeddedClusterError extends Error {}

/**
 * Makes sure `pgdata` holds an embedded PostgreSQL cluster, creating it when it does not.
 *
 * initdb runs in a short-lived child process, not in the service: PGlite's WebAssembly memory
 * grows to about 800 MiB during initdb and is never given back, so a service that ran it itself
 * would keep that for its whole life, where one that opens a finished cluster needs about 400 MiB
 * (bench/foundation.mjs). The cluster is made in a side directory and renamed into place, so a
 * first start that is killed halfway leaves nothing half-made behind: the next start begins again.
 * The caller holds the DATA_DIR lock, so no other process is doing the same.
 */
export async function ensureEmbeddedCluster(pgdata: string): Promise<'created' | 'exists'> {
  if (existsSync(join(pgdata, 'PG_VERSION'))) return 'exists';
  if (existsSync(pgdata)) {
    if (readdirSync(pgdata).length > 0) {
      throw new EmbeddedClusterError(
        `${pgdata} exists but holds no database (no PG_VERSION): it is not Tessera's. Move it away, or point DATA_DIR elsewhere`,
      );
    }
    rmSync(pgdata, { recursive: true });
  }
  const pending = pendingDir(pgdata);
  rmSync(pending, { recursive: true, force: true }); // what an interrupted first start left
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', INITDB_SCRIPT, require.resolve('@electric-sql/pglite'), pending],
      { timeout: INITDB_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const why = String(stderr).trim() || (error.killed ? `no answer after ${INITDB_TIMEOUT_MS / 1000} s` : error.message);
        reject(new EmbeddedClusterError(`Could not create the embedded database in ${pgdata}: ${why}`));
      },
    );
  });
  if (!existsSync(join(pending, 'PG_VERSION'))) {
    throw new EmbeddedClusterError(`Could not create the embedded database in ${pgdata}: initdb left no PG_VERSION`);
  }
  renameSync(pending, pgdata);
  return 'created';
}
