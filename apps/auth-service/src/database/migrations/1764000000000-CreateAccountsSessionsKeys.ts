import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, sessions (token families), refresh tokens and signing keys. Designed for the whole
 * refresh lifecycle (SPEC §4) and key rotation (§7), not only for what the first slice uses.
 */
export class CreateAccountsSessionsKeys1764000000000 implements MigrationInterface {
  name = 'CreateAccountsSessionsKeys1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email varchar(254) NOT NULL,
        name varchar(100),
        password_hash text NOT NULL,
        roles text[] NOT NULL DEFAULT '{user}',
        disabled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await q.query(`CREATE INDEX users_created_at_idx ON users (created_at, id)`);

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        ip varchar(64),
        user_agent varchar(512),
        revoked_at timestamptz,
        revoked_reason varchar(32)
      )`);
    // Live sessions of a user, least recently used first (listing, the 100-session cap).
    await q.query(`CREATE INDEX sessions_user_live_idx ON sessions (user_id, last_used_at) WHERE revoked_at IS NULL`);
    // The revocation feed and the revoked-session cache reload read recent revocations.
    await q.query(`CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL`);
    await q.query(`CREATE INDEX sessions_expires_at_idx ON sessions (expires_at)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        parent_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`);
    // The invariant of rotation, enforced by the database: at most one unused token per session.
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_one_live_per_session ON refresh_tokens (session_id) WHERE used_at IS NULL`);
    await q.query(`CREATE INDEX refresh_tokens_parent_id_idx ON refresh_tokens (parent_id)`);
    await q.query(`CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at)`);

    await q.query(`
      CREATE TABLE signing_keys (
        kid varchar(64) PRIMARY KEY,
        alg varchar(8) NOT NULL,
        status varchar(10) NOT NULL CHECK (status IN ('next', 'active', 'retiring', 'retired')),
        public_jwk jsonb,
        private_key_enc text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        retiring_at timestamptz,
        retired_at timestamptz
      )`);
    // Exactly one key signs: instances that create a first key at the same moment collide here.
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (status) WHERE status = 'active'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE signing_keys`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE users`);
  }
}
