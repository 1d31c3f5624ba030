import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { EmbeddedClusterError, ensureEmbeddedCluster } from './embedded-cluster';

// Real initdb in a real child process (a few seconds each): no fake stands in for PGlite here.
describe('ensureEmbeddedCluster', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tessera-cluster-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a cluster that PGlite opens, then leaves it alone', async () => {
    const pgdata = join(root, 'pgdata');
    // What a first start killed during initdb leaves behind: removed, never used. A directory of a
    // process still alive (an orphaned initdb still writing) is left alone.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const abandoned = `${pgdata}.initdb-${dead}`;
    const live = `${pgdata}.initdb-${process.pid}`;
    for (const dir of [abandoned, live]) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'half-made'), 'x');
    }
    expect(await ensureEmbeddedCluster(pgdata)).toBe('created');
    expect(existsSync(join(pgdata, 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(pgdata, 'half-made'))).toBe(false);
    expect(readdirSync(root).sort()).toEqual(['pgdata', basename(live)]);
    const version = readFileSync(join(pgdata, 'PG_VERSION'), 'utf8');
    expect(await ensureEmbeddedCluster(pgdata)).toBe('exists');
    expect(readFileSync(join(pgdata, 'PG_VERSION'), 'utf8')).toBe(version);

    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await PGlite.create(pgdata);
    try {
      expect((await pglite.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pglite.close();
    }
  }, 120_000);

  it('creates a cluster in an empty pgdata directory', async () => {
    const pgdata = join(root, 'pgdata');
    mkdirSync(pgdata);
    expect(await ensureEmbeddedCluster(pgdata)).toBe('created');
    expect(existsSync(join(pgdata, 'PG_VERSION'))).toBe(true);
  }, 120_000);

  it('refuses a pgdata that is a file, and leaves it as it was', async () => {
    const pgdata = join(root, 'pgdata');
    writeFileSync(pgdata, 'mine');
    await expect(ensureEmbeddedCluster(pgdata)).rejects.toThrow(/exists and is not a directory/);
    expect(readFileSync(pgdata, 'utf8')).toBe('mine');
  });

  it('refuses a pgdata directory that holds something else, and leaves it as it was', async () => {
    const pgdata = join(root, 'pgdata');
    mkdirSync(pgdata);
    writeFileSync(join(pgdata, 'notes.txt'), 'mine');
    await expect(ensureEmbeddedCluster(pgdata)).rejects.toThrow(EmbeddedClusterError);
    await expect(ensureEmbeddedCluster(pgdata)).rejects.toThrow(/holds no database \(no PG_VERSION\)/);
    expect(readFileSync(join(pgdata, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
