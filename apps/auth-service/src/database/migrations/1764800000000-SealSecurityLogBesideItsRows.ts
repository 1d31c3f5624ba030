import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sealer's links move out of `security_logs` into a table of their own. Sealing a row used to
 * be an `UPDATE` of it (`seq` and `chain` set): as `seq` is indexed, PostgreSQL could not make it in
 * place (HOT), so every event was written twice, each time with an entry in every index of the
 * table (seven), and left a dead row version for VACUUM. Now an event is written once and never
 * changed, and its seal is one narrow row in `security_log_links` (two b-tree entries). Measured on
 * this machine under the bench's refresh load, where every refresh writes one event: see
 * bench/HISTORY.md, "What changed on 2026-12-03 (midday)".
 *
 * `security_log_sealer.sealed_through` is the id up to which every row is sealed (0 while the table
 * has no row): the sealer looks for rows to seal above it only (chain-sealer.service.ts says why nothing can appear below it).
 * Rows sealed before this migration keep their seq and link, so an existing chain still verifies.
 */
export class SealSecurityLogBesideItsRows1764800000000 implements MigrationInterface {
  name = 'SealSecurityLogBesideItsRows1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE security_log_links (
        seq bigint PRIMARY KEY,
        log_id bigint NOT NULL,
        chain bytea NOT NULL
      )`);
    await q.query(`INSERT INTO security_log_links (seq, log_id, chain) SELECT seq, id, chain FROM security_logs WHERE seq IS NOT NULL`);
    // One link per row, whatever happens; and how verify and retention go from a link to its row's id and back.
    await q.query(`CREATE UNIQUE INDEX security_log_links_log_id_key ON security_log_links (log_id)`);
    await q.query(`
      CREATE TABLE security_log_sealer (
        id smallint PRIMARY KEY CHECK (id = 1),
        sealed_through bigint NOT NULL
      )`);
    // Below the oldest row still unsealed; the rows above it that are sealed already are skipped by
    // their link. Only where the log has rows: a new database stays without any (a dump loads only
    // into an empty one), and no row reads as 0.
    await q.query(`
      INSERT INTO security_log_sealer (id, sealed_through)
      SELECT 1, coalesce((SELECT min(id) - 1 FROM security_logs WHERE seq IS NULL), (SELECT max(id) FROM security_logs))
       WHERE EXISTS (SELECT 1 FROM security_logs)`);
    await q.query(`DROP INDEX security_logs_unsealed_idx`);
    await q.query(`DROP INDEX security_logs_seq_key`);
    await q.query(`ALTER TABLE security_logs DROP COLUMN seq, DROP COLUMN chain`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE security_logs ADD COLUMN seq bigint, ADD COLUMN chain bytea`);
    await q.query(`UPDATE security_logs AS l SET seq = k.seq, chain = k.chain FROM security_log_links AS k WHERE k.log_id = l.id`);
    await q.query(`CREATE UNIQUE INDEX security_logs_seq_key ON security_logs (seq)`);
    await q.query(`CREATE INDEX security_logs_unsealed_idx ON security_logs (id) WHERE seq IS NULL`);
    await q.query(`DROP TABLE security_log_sealer`);
    await q.query(`DROP TABLE security_log_links`);
  }
}
