import 'reflect-metadata';
import { createWriteStream, existsSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { join, resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { ConfigError, loadConfig } from '../config/env.schema';
import { createDataSource, runMigrations } from '../database/data-source';
import { writeSqlDump } from '../database/sql-dump';

const USAGE = 'Usage: npm run db:dump -- FILE   (reads the embedded database under DATA_DIR; the service must be stopped)';

/**
 * `npm run db:dump -- FILE`: the embedded database's data as SQL for `psql`, the way from the
 * embedded default to PostgreSQL (SPEC §2 "Operations"). Through the service's data-source factory,
 * so a running service (the DATA_DIR lock) is refused rather than copied mid-write.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0].startsWith('-')) fail(USAGE, 2);
  const file = resolve(args[0]);
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    fail(error.problems.map((p) => `Configuration error: ${p}`).join('\n'), 1);
  }
  if (config.db.driver !== 'pglite') fail('db:dump reads the embedded database: unset DATABASE_URL (a PostgreSQL database is backed up with pg_dump)', 1);
  if (existsSync(file)) fail(`${file} exists: give a new file name`, 1);

  let counts: Record<string, number>;
  try {
    const dataSource = await createDataSource(config);
    try {
      await runMigrations(dataSource, config); // the dump is of this version's schema, which the target gets by the same migrations
      // The dump holds password hashes and wrapped keys: readable by its owner only.
      const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
      counts = await writeSqlDump(dataSource, out);
      out.end();
      await finished(out);
    } finally {
      await dataSource.destroy().catch(() => undefined);
    }
  } catch (error) {
    fail(`Dump failed: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
  const rows = Object.entries(counts).map(([table, n]) => `${table} ${n}`).join(', ');
  const secretFile = join(config.db.dataDir, 'keys-encryption-secret');
  const secret = config.keys.encryptionSecret
    ? 'The keys in it are wrapped by your KEYS_ENCRYPTION_SECRET: give the service on PostgreSQL the same value (and the same KEYS_ENCRYPTION_SECRET_PREVIOUS, if any).'
    : `The keys in it are wrapped by the development secret generated in ${secretFile}: give the service on PostgreSQL that value, e.g.\n` +
      `  KEYS_ENCRYPTION_SECRET="$(cat ${secretFile})"\n` +
      '(keep it as secret as the keys; any other secret refuses to start, saying it decrypts none of the stored keys).';
  process.stdout.write(
    `Wrote ${file}: ${rows}.\n` +
      'Load it into an empty PostgreSQL 14+ database:\n' +
      '  DATABASE_URL=postgres://… npm run migration:run    # the schema, by the same migrations\n' +
      `  psql -v ON_ERROR_STOP=1 -f ${file} "$DATABASE_URL"\n` +
      `${secret}\n`,
  );
}

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

void main();
