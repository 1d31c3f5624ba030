import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/** Paths this process holds, so that a lock file carrying our own pid (pid reuse in a container) is known to be stale. */
const held = new Set<string>();

export class DataDirLockedError extends Error {}

/**
 * PGlite does not lock its directory, and two processes on one directory silently lose writes
 * (measured). A pid lock file refuses the second process; a lock whose pid is gone is stale.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'tessera.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(path);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSafe(path), 10);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && (pid !== process.pid || held.has(path))) {
        throw new DataDirLockedError(
          `DATA_DIR ${dataDir} is in use by process ${pid}: the embedded database allows one process at a time ` +
            '(stop that process, give this one another DATA_DIR, or use PostgreSQL through DATABASE_URL to run several instances)',
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new DataDirLockedError(`DATA_DIR ${dataDir}: could not take the lock file ${path}`);
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
