import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The security log (SPEC §5). Each row carries a MAC of its content written with it; a background
 * sealer then gives rows a sequence number and a chained HMAC (over the previous row's), so that an
 * edited, inserted or deleted row is found by `verify`. Keyset pagination, newest first, on
 * (created_at, id) with one index per filter.
 */
export class CreateSecurityLogs1764100000000 implements MigrationInterface {
  name = 'CreateSecurityLogs1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE security_logs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_type varchar(40) NOT NULL,
        user_id uuid,
        identifier varchar(254),
        ip varchar(64),
        user_agent varchar(512),
        session_id uuid,
        request_id varchar(64),
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        mac bytea NOT NULL,
        seq bigint,
        chain bytea
      )`);
    await q.query(`CREATE INDEX security_logs_created_idx ON security_logs (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX security_logs_type_idx ON security_logs (event_type, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX security_logs_user_idx ON security_logs (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL`);
    await q.query(`CREATE INDEX security_logs_identifier_idx ON security_logs (identifier, created_at DESC, id DESC) WHERE identifier IS NOT NULL`);
    await q.query(`CREATE INDEX security_logs_ip_idx ON security_logs (ip, created_at DESC, id DESC) WHERE ip IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX security_logs_seq_key ON security_logs (seq)`);
    await q.query(`CREATE INDEX security_logs_unsealed_idx ON security_logs (id) WHERE seq IS NULL`);
    // Where verification starts after retention purged older rows: the last purged seq and chain value.
    await q.query(`
      CREATE TABLE security_log_checkpoints (
        id smallint PRIMARY KEY CHECK (id = 1),
        last_seq bigint NOT NULL,
        last_chain bytea NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE security_log_checkpoints`);
    await q.query(`DROP TABLE security_logs`);
  }
}
