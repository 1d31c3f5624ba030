import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh tokens now carry their row's id (refresh-token.ts), and are found by primary key with
 * their hash compared on the row. The unique index over every token's hash, a random key that put
 * each rotation's new entry on a random page of a large index, is replaced by one over the rows
 * still found by hash alone: those written before this migration, and any that an instance of the
 * previous version writes during a rolling upgrade (it does not name the column, so the default
 * marks its rows). This version writes `false` for every token it issues.
 */
export class LookUpRefreshTokensById1764600000000 implements MigrationInterface {
  name = 'LookUpRefreshTokensById1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN lookup_by_hash boolean NOT NULL DEFAULT true`);
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_hash_lookup_key ON refresh_tokens (token_hash) WHERE lookup_by_hash`);
    await q.query(`DROP INDEX refresh_tokens_token_hash_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`);
    await q.query(`DROP INDEX refresh_tokens_hash_lookup_key`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN lookup_by_hash`);
  }
}
