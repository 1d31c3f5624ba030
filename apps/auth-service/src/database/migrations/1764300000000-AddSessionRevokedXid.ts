import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The revocation feed (SPEC §8) orders revocations by the id of the transaction that made them
 * (xid8, never wraps), not by `revoked_at`: commit order is not `revoked_at` order, while a
 * snapshot's xmin tells exactly which transactions can no longer commit. Partial index: only
 * revoked sessions are in it, and the feed reads nothing else.
 */
export class AddSessionRevokedXid1764300000000 implements MigrationInterface {
  name = 'AddSessionRevokedXid1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions ADD COLUMN revoked_xid xid8`);
    await q.query(`CREATE INDEX sessions_revoked_xid_idx ON sessions (revoked_xid, id) WHERE revoked_xid IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sessions_revoked_xid_idx`);
    await q.query(`ALTER TABLE sessions DROP COLUMN revoked_xid`);
  }
}
