import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { poolOf } from './data-source';

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
 * bench/). The rows are node-postgres's and a failure is TypeORM's `QueryFailedError`, exactly as
 * `DataSource.query` gives them, so callers and the error mapping see one shape.
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
    this.pool = config.db.driver === 'postgres' ? (poolOf(dataSource) ?? null) : null;
  }

  /** The rows of `statement`; with `manager`, inside that manager's transaction. */
  async query<T>(statement: PreparedStatement, values: unknown[], manager?: EntityManager): Promise<T[]> {
    if (!this.pool) return (manager ?? this.dataSource.manager).query(statement.text, values);
    const config = { name: statement.name, text: statement.text, values };
    let result: QueryResult;
    try {
      if (!manager?.queryRunner) result = await this.pool.query(config);
      // The transaction's own connection (node-postgres's client, which TypeORM's query runner holds).
      else result = await ((await manager.queryRunner.connect()) as PoolClient).query(config);
    } catch (error) {
      throw new QueryFailedError(statement.text, values, error as Error);
    }
    return result.rows as T[];
  }
}
