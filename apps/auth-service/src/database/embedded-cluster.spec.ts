import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { createDataSource, runMigrations } from './data-source';
import { CLUSTER_SETTINGS, currentTemplateStamp, EmbeddedClusterError, ensureEmbeddedCluster, installedPgliteVersion, TEMPLATE_STAMP, usableTemplate } from './embedded-cluster';
import { MIGRATIONS } from './migrations';
import { createPgliteDriver } from './pglite-driver';

// Real initdb in a real child process (a few seconds each): no fake stands in for PGlite here.
describe('ensureEmbeddedCluster', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tessera-cluster-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('copies the empty cluster of the build when the installed PGlite made it, and ignores it otherwise', async () => {
    const template = join(root, 'template');
    expect(await ensureEmbeddedCluster(template, null)).toBe('created'); // initdb, as the build does
    expect(usableTemplate(template)).toBeNull(); // no stamp: not a template
    const names = currentTemplateStamp().migrations;
    writeFileSync(join(template, TEMPLATE_STAMP), JSON.stringify({ pglite: '0.0.0-other', migrations: names }));
    expect(usableTemplate(template)).toBeNull(); // another PGlite made it
    writeFileSync(join(template, TEMPLATE_STAMP), JSON.stringify({ pglite: installedPgliteVersion(), migrations: [...names.slice(0, 2), 'Unknown1999999999999'] }));
    expect(usableTemplate(template)).toBeNull(); // it holds a migration this build does not know
    writeFileSync(join(template, TEMPLATE_STAMP), JSON.stringify({ pglite: installedPgliteVersion(), migrations: [...names, 'Later1999999999999'] }));
    expect(usableTemplate(template)).toBeNull(); // made by a newer build
    writeFileSync(join(template, TEMPLATE_STAMP), JSON.stringify({ pglite: installedPgliteVersion() }));
    expect(usableTemplate(template)).toBe(template); // an older template, empty: the start migrates the copy
    writeFileSync(join(template, TEMPLATE_STAMP), JSON.stringify({ pglite: installedPgliteVersion(), migrations: names.slice(0, 3) }));
    expect(usableTemplate(template)).toBe(template); // the migrations it lacks run at start
    writeFileSync(join(template, TEMPLATE_STAMP), JSON.stringify(currentTemplateStamp()));
    expect(usableTemplate(template)).toBe(template);

    const pgdata = join(root, 'copied');
    expect(await ensureEmbeddedCluster(pgdata, template)).toBe('created');
    expect(existsSync(join(pgdata, 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(pgdata, TEMPLATE_STAMP))).toBe(false);
    expect(readdirSync(root).sort()).toEqual(['copied', 'template']); // no side directory left
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await PGlite.create(pgdata);
    try {
      await pglite.exec('CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
      expect((await pglite.query<{ x: number }>('SELECT x FROM t')).rows).toEqual([{ x: 1 }]);
    } finally {
      await pglite.close();
    }
    // The template is untouched by what was done on the copy.
    const again = await PGlite.create(join(root, 'template'));
    try {
      expect((await again.query(`SELECT 1 FROM pg_tables WHERE tablename = 't'`)).rows).toHaveLength(0);
    } finally {
      await again.close();
    }
  }, 120_000);

  it('a DATA_DIR copied from a template holding some of the migrations gets the rest at start', async () => {
    // A template as an older build made it: the first three migrations, stamped with them.
    const template = join(root, 'template');
    expect(await ensureEmbeddedCluster(template, null)).toBe('created');
    const { PGlite } = await import('@electric-sql/pglite');
    const older = MIGRATIONS.slice(0, 3);
    const pglite = await PGlite.create(template);
    const partial = new DataSource({ type: 'postgres', driver: createPgliteDriver(pglite), migrations: older, migrationsTableName: 'migrations', extra: { max: 1 } } as DataSourceOptions);
    try {
      await partial.initialize();
      expect((await partial.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(older.map((M) => new M().name));
    } finally {
      await partial.destroy();
      await pglite.close();
    }
    writeFileSync(join(template, TEMPLATE_STAMP), JSON.stringify({ pglite: installedPgliteVersion(), migrations: older.map((M) => new M().name) }));
    expect(usableTemplate(template)).toBe(template);

    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    expect(await ensureEmbeddedCluster(join(dataDir, 'pgdata'), usableTemplate(template))).toBe('created');
    const config = { db: { driver: 'pglite', dataDir } } as const;
    const dataSource = await createDataSource(config);
    try {
      expect(await runMigrations(dataSource, config)).toEqual(currentTemplateStamp().migrations.slice(3));
      expect(await runMigrations(dataSource, config)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  }, 120_000);

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
    // The service opens it with the embedded settings (start options, whatever the cluster's own conf says).
    const dataSource = await createDataSource({ db: { driver: 'pglite', dataDir: root } });
    await dataSource.initialize();
    try {
      expect(await dataSource.query('SHOW shared_buffers')).toEqual([{ shared_buffers: CLUSTER_SETTINGS.shared_buffers }]);
    } finally {
      await dataSource.destroy();
    }
  }, 120_000);

  it('tells the caller when it made the cluster (a new DATA_DIR), and only then', async () => {
    const dataDir = join(root, 'data');
    const onClusterCreated = jest.fn();
    for (const calls of [1, 1]) {
      const dataSource = await createDataSource({ db: { driver: 'pglite', dataDir } }, [], { onClusterCreated });
      try {
        await dataSource.initialize();
        expect(onClusterCreated).toHaveBeenCalledTimes(calls); // the second open finds the cluster made by the first
      } finally {
        await dataSource.destroy();
      }
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
