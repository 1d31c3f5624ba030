import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** A statement of a hot path: one name for one text, so that PostgreSQL parses and plans it once per connection. */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** `{ name, text }`, the name prefixed so that it cannot meet a statement prepared by anything else. */
export const prepared = (name: string, text: string): PreparedStatement => ({ name: `tessera_${name}`, text });

/**
 * The statements of the requests that run thousands of times a second (refresh, `/me`, login),
 * alone or inside a transaction: on PostgreSQL as named prepared statements, on TypeORM's pool or on
 * the transaction's connection. PostgreSQL then parses each once per connection and, after a few runs, keeps a
 * generic plan; an unnamed statement (`DataSource.query`) is parsed and planned anew every time,
 * which for the one-statement refresh is a good part of the database's CPU per request (measured,
 * bench/). The rows are node-postgres's, exactly as `DataSource.query` returns them.
 *
 * On the embedded database the statement runs through `DataSource.query`: PGlite is one session
 * shared by every client of the pool, so a name prepared by a client that the pool discarded
 * would still exist there and a new client's prepare of it would fail.
 *
 * Behind PgBouncer in transaction mode, prepared statements need PgBouncer 1.21 or later
 * (`max_prepared_statements`); the README says so.
 */
@Injectable()
export class PreparedStatements {
  private readonly pool: Pool | null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.pool = config.db.driver === 'postgres' ? ((dataSource.driver as PostgresDriver).master as Pool) : null;
  }

  /** The rows of `statement`; with `manager`, inside that manager's transaction. */
  async query<T>(statement: PreparedStatement, values: unknown[], manager?: EntityManager): Promise<T[]> {
    if (!this.pool) return (manager ?? this.dataSource.manager).query(statement.text, values);
    const config = { name: statement.name, text: statement.text, values };
    if (!manager?.queryRunner) return (await this.pool.query(config)).rows as T[];
    // The transaction's own connection (node-postgres's client, which TypeORM's query runner holds).
    const client = (await manager.queryRunner.connect()) as PoolClient;
    return (await client.query(config)).rows as T[];
  }
}
