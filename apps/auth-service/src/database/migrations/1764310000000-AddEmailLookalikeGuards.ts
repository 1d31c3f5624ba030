import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { storedAddressForms } from '../../users/email';

const BATCH = 1000;

interface Collision {
  id: string;
  email: string;
  first_id: string;
  first_email: string;
}

/**
 * One address per account whatever form of its domain was typed, and no look-alike of another
 * account's address (SPEC §2, users/email.ts):
 * - `users.email_canonical` (the domain in punycode), unique;
 * - `email_skeletons`: one row per UTS #39 skeleton in use, its primary key the race-safe claim
 *   (`shared` when held by pure-ASCII addresses only, which compare exactly among themselves).
 * Rows that already collide are kept, oldest first: a later row that is the same address as an
 * older one keeps a NULL canonical form (it still signs in by its exact stored form), and a later
 * look-alike claims nothing. Each is logged, so an operator can review them.
 */
export class AddEmailLookalikeGuards1764310000000 implements MigrationInterface {
  name = 'AddEmailLookalikeGuards1764310000000';
  private readonly logger = new Logger('Migrations');

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN email_canonical text`);
    await q.query(`CREATE TABLE email_skeletons (skeleton text PRIMARY KEY, shared boolean NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TEMPORARY TABLE email_forms (id uuid PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL, canonical text NOT NULL, skeleton text NOT NULL, ascii boolean NOT NULL)`);
    await this.computeForms(q);

    const sameAddress: Collision[] = await q.query(`
      WITH ranked AS (
        SELECT f.*, row_number() OVER w AS rn, first_value(f.id) OVER w AS first_id, first_value(f.email) OVER w AS first_email
          FROM email_forms f WINDOW w AS (PARTITION BY f.canonical ORDER BY f.created_at, f.id))
      SELECT id, email, first_id, first_email FROM ranked WHERE rn > 1 ORDER BY created_at, id`);
    await q.query(`
      UPDATE users u SET email_canonical = f.canonical FROM (
        SELECT DISTINCT ON (canonical) id, canonical FROM email_forms ORDER BY canonical, created_at, id) f
       WHERE u.id = f.id`);
    await q.query(`CREATE UNIQUE INDEX users_email_canonical_key ON users (email_canonical)`);

    // The oldest address of each skeleton claims it: shared if it is pure ASCII. A later address
    // collides unless both it and the oldest are pure ASCII (the rule registration applies).
    await q.query(`INSERT INTO email_skeletons (skeleton, shared) SELECT DISTINCT ON (skeleton) skeleton, ascii FROM email_forms ORDER BY skeleton, created_at, id`);
    const lookalikes: Collision[] = await q.query(`
      WITH ranked AS (
        SELECT f.*, row_number() OVER w AS rn, first_value(f.id) OVER w AS first_id, first_value(f.email) OVER w AS first_email,
               first_value(f.ascii) OVER w AS first_ascii
          FROM email_forms f WINDOW w AS (PARTITION BY f.skeleton ORDER BY f.created_at, f.id))
      SELECT id, email, first_id, first_email FROM ranked WHERE rn > 1 AND NOT (ascii AND first_ascii) ORDER BY created_at, id`);
    await q.query(`DROP TABLE email_forms`);

    const lookalikeOnly = lookalikes.filter((l) => !sameAddress.some((s) => s.id === l.id));
    for (const c of sameAddress) this.logger.warn(`Kept account ${c.id} <${c.email}>: the same address as the older account ${c.first_id} <${c.first_email}>`);
    for (const c of lookalikeOnly) this.logger.warn(`Kept account ${c.id} <${c.email}>: a look-alike of the older account ${c.first_id} <${c.first_email}>`);
    if (sameAddress.length + lookalikeOnly.length > 0) {
      this.logger.warn(`${sameAddress.length + lookalikeOnly.length} existing account(s) collide with older ones and were kept; new look-alikes of them are refused`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_skeletons`);
    await q.query(`DROP INDEX users_email_canonical_key`);
    await q.query(`ALTER TABLE users DROP COLUMN email_canonical`);
  }

  /** The skeleton data lives in JavaScript (a package), so the forms are computed here, a batch at a time. */
  private async computeForms(q: QueryRunner): Promise<void> {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows: Array<{ id: string; email: string; created_at: Date }> = await q.query(
        `SELECT id, email, created_at FROM users WHERE id > $1 ORDER BY id LIMIT ${BATCH}`,
        [after],
      );
      if (rows.length === 0) return;
      const forms = rows.map((r) => ({ id: r.id, email: r.email, created_at: r.created_at, ...pick(storedAddressForms(r.email)) }));
      await q.query(
        `INSERT INTO email_forms SELECT * FROM json_to_recordset($1::json)
           AS x(id uuid, email text, created_at timestamptz, canonical text, skeleton text, ascii boolean)`,
        [JSON.stringify(forms)],
      );
      after = rows[rows.length - 1].id;
    }
  }
}

function pick(forms: ReturnType<typeof storedAddressForms>): { canonical: string; skeleton: string; ascii: boolean } {
  return { canonical: forms.canonical, skeleton: forms.skeleton, ascii: forms.ascii };
}
