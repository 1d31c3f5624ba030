import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The timeline of the security log (`GET /api/admin/security-logs/stats`, SPEC §2): counts per time
 * bucket and event type, where an aggregated row (§5) counts its `details.count`. `weight` is that
 * count, stored beside the row (a generated column: no writer has to know), so that the covering
 * index below answers the count with an index-only scan, without reading one row's jsonb. (PostgreSQL
 * does not plan an index-only scan over an expression index whose column is needed by the query, so
 * an expression index on `details->>'count'` would still read every row.)
 */
export class IndexSecurityLogStats1764500000000 implements MigrationInterface {
  name = 'IndexSecurityLogStats1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE security_logs ADD COLUMN weight bigint NOT NULL
        GENERATED ALWAYS AS (CASE WHEN jsonb_typeof(details->'count') = 'number' THEN (details->>'count')::numeric::bigint ELSE 1 END) STORED`);
    await q.query(`CREATE INDEX security_logs_stats_idx ON security_logs (created_at, event_type) INCLUDE (weight)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX security_logs_stats_idx`);
    await q.query(`ALTER TABLE security_logs DROP COLUMN weight`);
  }
}
