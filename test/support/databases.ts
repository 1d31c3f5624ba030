import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';

/** Where global-setup left the migrated embedded database that each test copies. */
export const TEMPLATE_ENV = 'TESSERA_TEST_PGLITE_TEMPLATE';

export interface TestDatabase {
  /** Variables that point the service at this database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A fresh database per call: on PostgreSQL (TEST_DATABASE_URL) a `CREATE DATABASE`, cheap; on the
 * embedded path a copy of the template that global-setup migrated once, because initialising
 * PGlite costs seconds and hundreds of MB.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  if (serverUrl) {
    const name = `tessera_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      env: { DATABASE_URL: url.toString(), DATA_DIR: dataDir },
      drop: async () => {
        await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const template = process.env[TEMPLATE_ENV];
  if (template) cpSync(template, dataDir, { recursive: true });
  return {
    env: { DATA_DIR: dataDir },
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
