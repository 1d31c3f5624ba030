import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The lockout's known-address check (SPEC §6): did this account sign in from this address lately?
 * It runs on every attempt while an identifier-wide lock is in force, so it must be an index probe.
 */
export class IndexSessionsByUserAndIp1764400000000 implements MigrationInterface {
  name = 'IndexSessionsByUserAndIp1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX sessions_user_ip_idx ON sessions (user_id, ip, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sessions_user_ip_idx`);
  }
}
