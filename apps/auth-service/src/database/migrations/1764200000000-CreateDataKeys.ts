import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data keys (SPEC §7): the HMAC keys of grace successors and of the log chain, stored wrapped by
 * KEYS_ENCRYPTION_SECRET like the signing keys, so that rotating the secret re-wraps them and what
 * they protected stays valid. The service creates the rows at start (it alone holds the secret).
 */
export class CreateDataKeys1764200000000 implements MigrationInterface {
  name = 'CreateDataKeys1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_keys (
        purpose varchar(40) PRIMARY KEY,
        key_enc text NOT NULL,
        created_at timestamptz NOT NULL,
        wrapped_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE data_keys`);
  }
}
