import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDataSource, runMigrations } from '../../apps/auth-service/src/database/data-source';
import { TEMPLATE_ENV } from './databases';

/**
 * Once per run. On PostgreSQL: check that the server answers. Embedded: initialise and migrate one
 * PGlite directory that every test file copies (initdb costs seconds; a copy, milliseconds).
 */
export default async function globalSetup(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    await client.end();
    process.stdout.write(`\n[tessera tests] database: PostgreSQL at TEST_DATABASE_URL (a fresh database per test file)\n`);
    return;
  }
  process.stdout.write(
    '\n[tessera tests] database: embedded PGlite (TEST_DATABASE_URL is not set, so the PostgreSQL server path does not run)\n',
  );
  const dir = mkdtempSync(join(tmpdir(), 'tessera-template-'));
  const db = { driver: 'pglite' as const, dataDir: dir };
  const dataSource = await createDataSource({ db });
  await runMigrations(dataSource, { db });
  await dataSource.destroy();
  process.env[TEMPLATE_ENV] = dir;
}
