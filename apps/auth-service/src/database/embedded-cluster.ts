import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isAlive } from './data-dir-lock';
import { MIGRATIONS } from './migrations';

/** initdb of a new cluster takes seconds; far longer means something is wrong. */
const INITDB_TIMEOUT_MS = 180_000;

/**
 * A new cluster is made in a side directory named after the child process that makes it, and
 * renamed into place once complete. A child orphaned by a killed first start may still be writing
 * its own; the next start never touches a directory whose process is alive.
 */
const pendingPrefix = (pgdata: string) => `${basename(pgdata)}.initdb-`;

function removeAbandonedPending(pgdata: string): void {
  const parent = dirname(pgdata);
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(pendingPrefix(pgdata))) continue;
    const pid = Number(name.slice(pendingPrefix(pgdata).length));
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/**
 * PostgreSQL settings every start opens an embedded cluster with (data-source.ts passes them as
 * `-c` options, so a cluster made by any build, and the template, get them alike). shared_buffers:
 * PostgreSQL's 128 MB live in PGlite's WebAssembly memory, which never shrinks. With 16 MB the
 * service's RSS under `/me` load was 478–500 MiB against 635 MiB (a trial without the heap flags of
 * `npm start`; 345 MiB with them), and a helper measured opening a cluster in about 0.6 s with
 * 32 MB against 1.3 s with 128 MB. The embedded database is for small deployments, and the
 * operating system's page cache still holds what the buffers do not.
 */
export const CLUSTER_SETTINGS: Readonly<Record<string, string>> = { shared_buffers: '16MB' };

/**
 * The child: opening PGlite on an empty directory runs initdb; closing it makes the cluster
 * durable. It names the directory after itself and prints that name.
 */
const INITDB_SCRIPT = `
const { PGlite } = require(process.argv[1]);
const dir = process.argv[2] + process.pid;
PGlite.create(dir)
  .then((pglite) => pglite.close())
  .then(() => process.stdout.write(dir))
  .catch((error) => { process.stderr.write(String(error && error.message || error)); process.exit(1); });
`;

export class EmbeddedClusterError extends Error {}

/**
 * The cluster `npm run build` made (scripts/pglite-cluster-template.mjs) in dist/pglite-cluster,
 * found from the running file's place under dist/ (the bundle or the compiled tree); absent when
 * running from sources, and then initdb runs.
 */
function templateDir(): string | null {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) if (basename(dir) === 'dist') return join(dir, 'pglite-cluster');
  return null;
}
export const TEMPLATE_STAMP = 'tessera-template.json';

/** What a template says of itself: the PGlite that made it, and the migrations it holds, in order. */
export interface TemplateStamp {
  pglite?: string;
  migrations?: string[];
}

/** The stamp a template made now, by this build, carries (the build remakes a template whose stamp differs). */
export function currentTemplateStamp(): Required<TemplateStamp> {
  return { pglite: installedPgliteVersion() ?? 'unknown', migrations: MIGRATIONS.map((M) => new M().name) };
}

/**
 * The template's directory when it was made by the PGlite installed now and holds no migration
 * this build does not know (the ones it lacks run at start, as on any older DATA_DIR); null otherwise.
 */
export function usableTemplate(dir = templateDir(), expected: Required<TemplateStamp> = currentTemplateStamp()): string | null {
  if (!dir) return null;
  try {
    const { pglite, migrations = [] } = JSON.parse(readFileSync(join(dir, TEMPLATE_STAMP), 'utf8')) as TemplateStamp;
    const known = migrations.every((name, i) => expected.migrations[i] === name);
    return pglite === expected.pglite && known && existsSync(join(dir, 'PG_VERSION')) ? dir : null;
  } catch {
    return null;
  }
}

export function installedPgliteVersion(): string | undefined {
  for (let dir = dirname(require.resolve('@electric-sql/pglite')); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (name === '@electric-sql/pglite') return version;
  }
  return undefined;
}

/**
 * Makes sure `pgdata` holds an embedded PostgreSQL cluster, creating it when it does not.
 *
 * The build leaves a cluster in dist/pglite-cluster, migrated but otherwise empty (no keys, no
 * users, no secret): a new one is a copy of it, and the migrations it already holds are not run
 * again at start (the service's keys and bootstrap admin are made on the copy). Without it
 * (running from sources, or another PGlite installed since the build), initdb runs in a
 * short-lived child process, not in the service: PGlite's WebAssembly memory
 * grows to about 800 MiB during initdb and is never given back, so a service that ran it itself
 * would keep that for its whole life, where one that opens a finished cluster needs about 400 MiB
 * (bench/foundation.mjs). The cluster is made in a side directory and renamed into place, so a
 * first start that is killed halfway leaves nothing half-made in `pgdata`: the next start removes
 * the leftover and begins again. The caller holds the DATA_DIR lock, so no other live service
 * process is doing the same.
 */
export async function ensureEmbeddedCluster(pgdata: string, template: string | null = usableTemplate()): Promise<'created' | 'exists'> {
  if (existsSync(pgdata) && !statSync(pgdata).isDirectory()) {
    throw new EmbeddedClusterError(`${pgdata} exists and is not a directory: move it away, or choose another DATA_DIR`);
  }
  if (existsSync(join(pgdata, 'PG_VERSION'))) return 'exists';
  if (existsSync(pgdata)) {
    if (readdirSync(pgdata).length > 0) {
      throw new EmbeddedClusterError(`${pgdata} exists but holds no database (no PG_VERSION): move it away, or choose another DATA_DIR`);
    }
    rmSync(pgdata, { recursive: true });
  }
  removeAbandonedPending(pgdata);
  const pending = (template && (await copyTemplate(template, pgdata))) || (await initdb(pgdata));
  if (!basename(pending).startsWith(pendingPrefix(pgdata)) || !existsSync(join(pending, 'PG_VERSION'))) {
    throw new EmbeddedClusterError(`Could not create the embedded database in ${pgdata}: initdb left no PG_VERSION`);
  }
  renameSync(pending, pgdata);
  return 'created';
}

/** Files copied at once: the copy waits on the file system, not on the CPU (about 1,000 small files). */
const COPY_CONCURRENCY = 8;

/**
 * A copy of the build's cluster, in this process's side directory (a fraction of a second, where
 * initdb and the migrations take seconds); null when it cannot be read (an image whose dist/ is not
 * the service user's) or holds something else than files and directories, and then initdb runs.
 * The directories are made first, then the files copied several at a time (fs.cpSync, one by one,
 * took 0.4 s here). The copy keeps the modes: PostgreSQL made the files 0600 and the directories 0700.
 */
async function copyTemplate(template: string, pgdata: string): Promise<string | null> {
  // A side directory named after this process can only be left by a dead one that had its pid.
  const pending = join(dirname(pgdata), pendingPrefix(pgdata) + process.pid);
  rmSync(pending, { recursive: true, force: true });
  try {
    const files: [string, string][] = [];
    const walk = (from: string, to: string) => {
      mkdirSync(to);
      chmodSync(to, statSync(from).mode & 0o7777);
      for (const entry of readdirSync(from, { withFileTypes: true })) {
        const source = join(from, entry.name);
        const target = join(to, entry.name);
        if (entry.isDirectory()) walk(source, target);
        else if (!entry.isFile()) throw new EmbeddedClusterError(`${source}: neither a file nor a directory`);
        else if (from !== template || entry.name !== TEMPLATE_STAMP) files.push([source, target]);
      }
    };
    walk(template, pending);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const [source, target] = files[next++];
        await copyFile(source, target); // the source's mode, as libuv copies it
      }
    };
    await Promise.all(Array.from({ length: COPY_CONCURRENCY }, worker));
    return pending;
  } catch {
    rmSync(pending, { recursive: true, force: true });
    return null;
  }
}

function initdb(pgdata: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', INITDB_SCRIPT, require.resolve('@electric-sql/pglite'), join(dirname(pgdata), pendingPrefix(pgdata))],
      { timeout: INITDB_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(String(stdout));
        removeAbandonedPending(pgdata); // its child has exited: its directory is abandoned now
        const why = String(stderr).trim() || (error.killed ? `no answer after ${INITDB_TIMEOUT_MS / 1000} s` : error.message);
        reject(new EmbeddedClusterError(`Could not create the embedded database in ${pgdata}: ${why}`));
      },
    );
  });
}
