import type { PoolClient } from 'pg';
import { QueryFailedError } from 'typeorm';
import { sqlState } from '../apps/auth-service/src/database/database-errors';
import { poolOf } from '../apps/auth-service/src/database/data-source';
import { prepared, PreparedStatements } from '../apps/auth-service/src/database/prepared-statements';
import { startAuthService, RunningService } from './support/auth-service';
import { call } from './support/http';
import { newSession, refresh } from './support/flows';
import { usingPostgres } from './support/test-env';

const onPostgres = usingPostgres();

/** The hot paths' statements, by the names PostgreSQL knows them by. */
const HOT = ['tessera_user_by_address', 'tessera_lock_user_if_unchanged', 'tessera_start_session', 'tessera_rotate_refresh_token', 'tessera_enabled_profile'];

/** A login, a refresh and a `/me`: every hot statement runs once. */
async function hotPaths(service: RunningService): Promise<void> {
  const pair = await newSession(service.url, 'prepared');
  const rotated = await refresh(service.url, pair.refresh_token);
  expect(rotated.status).toBe(200);
  const me = await call(service.url, 'GET', '/api/auth/me', { headers: { authorization: `Bearer ${rotated.body.access_token}` } });
  expect(me.status).toBe(200);
}

describe('Prepared statements of the hot paths', () => {
  let service: RunningService;

  beforeAll(async () => {
    service = await startAuthService();
  });

  afterAll(async () => {
    await service.close();
  });

  it('login, refresh and /me run named statements on PostgreSQL, kept on the pool\'s connections; none on PGlite\'s one shared session', async () => {
    await hotPaths(service);
    if (!onPostgres) {
      const rows: { count: string }[] = await service.dataSource.query(`SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'tessera_%'`);
      expect(Number(rows[0].count)).toBe(0);
      return;
    }
    const pool = poolOf(service.dataSource)!;
    // Every connection of the pool, each asked what it has prepared (pg_prepared_statements is per session).
    const seen = new Set<string>();
    for (let attempt = 0; attempt < 5 && !HOT.every((name) => seen.has(name)); attempt++) {
      const clients: PoolClient[] = [];
      try {
        for (let i = 0; i < pool.totalCount; i++) clients.push(await pool.connect());
        for (const client of clients) {
          for (const row of (await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows) seen.add(row.name);
        }
      } finally {
        for (const client of clients) client.release();
      }
    }
    expect([...seen].filter((name) => name.startsWith('tessera_')).sort()).toEqual([...HOT].sort());
  });

  (onPostgres ? it : it.skip)('(needs TEST_DATABASE_URL) inside a transaction, the statement is prepared on the transaction\'s own connection', async () => {
    const statements = service.app.get(PreparedStatements);
    const probe = prepared('test_probe', 'SELECT $1::int + 1 AS next');
    const names = await service.dataSource.transaction(async (manager) => {
      expect(await statements.query(probe, [41], manager)).toEqual([{ next: 42 }]);
      expect(await statements.query(probe, [1], manager)).toEqual([{ next: 2 }]);
      return (await manager.query(`SELECT name FROM pg_prepared_statements WHERE name = 'tessera_test_probe'`)) as unknown[];
    });
    expect(names).toHaveLength(1);
  });

  it('fails as DataSource.query does: a QueryFailedError carrying the SQLSTATE, on either database', async () => {
    const statements = service.app.get(PreparedStatements);
    const failing = statements.query(prepared('test_division', 'SELECT 1 / $1::int AS quotient'), [0]);
    await expect(failing).rejects.toBeInstanceOf(QueryFailedError);
    expect(sqlState(await failing.catch((error: unknown) => error))).toBe('22012');
  });
});
