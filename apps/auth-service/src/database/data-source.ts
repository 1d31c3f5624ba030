import * as pg from 'pg';
import { DataSource, DataSourceOptions, EntitySchema, MigrationExecutor, MixedList } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { acquireDataDirLock } from './data-dir-lock';
import { LockIds } from './lock-ids';
import { CLUSTER_SETTINGS, ensureEmbeddedCluster } from './embedded-cluster';
import { createPgliteDriver } from './pglite-driver';
import { MIGRATIONS } from './migrations';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Entities = MixedList<Function | string | EntitySchema>;


/**
 * Bounds on every wait for PostgreSQL, so that a request that needs an unreachable or stalled
 * database answers 503 in bounded time instead of hanging: a new connection within 5 s; a statement
 * cancelled by the server after 15 s (SQLSTATE 57014, mapped to 503) and, should the server not
 * answer at all (a failover, a partition), abandoned by the client after 30 s; a transaction left
 * idle (a process frozen mid-request) ended after 30 s, so that its row locks do not stall others.
 * TCP keepalive notices a peer that vanished. Migrations lift the statement bounds (runMigrations).
 */
export const DATABASE_TIMEOUTS = {
  connectionTimeoutMillis: 5000,
  statement_timeout: 15_000,
  query_timeout: 30_000,
  idle_in_transaction_session_timeout: 30_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
} as const;

/** node-postgres's pool under TypeORM's data source, on either database (the embedded one holds one client). */
export function poolOf(dataSource: DataSource): pg.Pool | undefined {
  return (dataSource.driver as unknown as { master?: pg.Pool }).master;
}

/**
 * The one data-source factory, used by the service, the CLI commands and the tests, so that the
 * embedded database, its directory lock and the migrations are handled alike everywhere.
 * `destroy()` also closes PGlite and releases the DATA_DIR lock. `onClusterCreated` is called
 * when this call made the embedded cluster (a new DATA_DIR), before PGlite opens it.
 */
export async function createDataSource(config: Pick<AppConfig, 'db'>, entities: Entities = [], hooks: { onClusterCreated?: () => void } = {}): Promise<DataSource> {
  const common = {
    type: 'postgres',
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    installExtensions: false,
    logging: false,
  } as const;

  if (config.db.driver === 'postgres') {
    return new DataSource({
      ...common,
      // The pg this module imports, not TypeORM's own require('pg'), which a bundler cannot see:
      // the bundled service would load a second copy of pg from node_modules at every start,
      // unbundled and without the code cache (with Node's fetch, undici, for pg's Cloudflare check).
      driver: pg,
      url: config.db.url,
      applicationName: 'tessera',
      extra: {
        max: 10,
        idleTimeoutMillis: 30000,
        ...DATABASE_TIMEOUTS,
      },
    } as DataSourceOptions);
  }

  const release = acquireDataDirLock(config.db.dataDir);
  try {
    const pgdata = `${config.db.dataDir}/pgdata`;
    // initdb, when needed, in a child process (see there why)
    if ((await ensureEmbeddedCluster(pgdata)) === 'created') hooks.onClusterCreated?.();
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await PGlite.create(pgdata, {
      startParams: [...PGlite.defaultStartParams, ...Object.entries(CLUSTER_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])],
    });
    const dataSource = new DataSource({
      ...common,
      driver: createPgliteDriver(pglite),
      // A second connection inside a transaction would wait forever for the single session:
      // fail after a while instead, with an error that says so.
      extra: { max: 1, connectionTimeoutMillis: 15000 },
    } as DataSourceOptions);
    const destroy = dataSource.destroy.bind(dataSource);
    dataSource.destroy = async () => {
      try {
        if (dataSource.isInitialized) await destroy();
      } finally {
        // Destroying TypeORM's pool does not close PGlite (measured): close it, then unlock.
        if (!pglite.closed) await pglite.close();
        release();
      }
    };
    return dataSource;
  } catch (error) {
    release();
    throw error;
  }
}

/** Runs pending migrations; on PostgreSQL under an advisory lock so that instances starting together take turns. */
export async function runMigrations(dataSource: DataSource, config: Pick<AppConfig, 'db'>): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  if (config.db.driver === 'pglite') {
    // One process holds the directory lock and PGlite has one session: nothing to race with.
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  let restoreClientTimeout = () => undefined as void;
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [LockIds.migrations]);
    // A migration may rewrite a large table: on this connection only, no statement bound.
    await runner.query('SET statement_timeout = 0');
    restoreClientTimeout = liftClientTimeout(await runner.connect());
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    return (await executor.executePendingMigrations()).map((m) => m.name);
  } finally {
    restoreClientTimeout();
    await runner.query('RESET statement_timeout').catch(() => undefined);
    await runner.query('SELECT pg_advisory_unlock($1)', [LockIds.migrations]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * node-postgres reads `query_timeout` from the client's parameters at each query: 0 lifts it for
 * this pooled client; the returned function puts it back before the client returns to the pool.
 */
function liftClientTimeout(client: unknown): () => void {
  const parameters = (client as { connectionParameters?: { query_timeout?: number } }).connectionParameters;
  if (!parameters) return () => undefined;
  const before = parameters.query_timeout;
  parameters.query_timeout = 0;
  return () => {
    parameters.query_timeout = before;
  };
}
