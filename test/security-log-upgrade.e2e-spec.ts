import { ChainSealer } from '../apps/auth-service/src/security-log/chain-sealer.service';
import { chainLink, rowMac } from '../apps/auth-service/src/security-log/chain';
import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { ScheduledJobs } from '../apps/auth-service/src/infra/scheduled-jobs';
import { RunningService, startAuthService } from './support/auth-service';
import { newSession } from './support/flows';
import { call } from './support/http';
import { NO_RATE_LIMITS } from './support/test-env';

const ADMIN = { BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };

/**
 * A deployment whose log was sealed the old way (seq and chain on each row, migrations before
 * 1764800000000) upgrades in place: its chain verifies after, and a row left unsealed below a
 * sealed one (a transaction that committed late) is sealed, once, while the sealed ones are not.
 */
describe('security log sealed before the links table (migration 1764800000000)', () => {
  let service: RunningService | undefined;
  afterEach(() => service?.close());

  it('keeps the old chain, seals what was left unsealed, and verifies', async () => {
    const first = await startAuthService({ ...ADMIN, ...NO_RATE_LIMITS });
    service = first;
    for (let i = 0; i < 3; i++) await newSession(first.url, 'before-upgrade');
    await first.app.get(SecurityLogService).flush();
    await first.app.get(ChainSealer).sealOnce();
    const key = first.app.get(SecurityLogService).key;
    await first.app.get(ScheduledJobs).beforeApplicationShutdown(); // no sealer from here on
    const db = first.dataSource;

    // Back to the old schema: the links return to their rows.
    await db.undoLastMigration();
    const [{ sealed }] = await db.query(`SELECT count(*)::int AS sealed FROM security_logs WHERE seq IS NOT NULL`);
    expect(sealed).toBeGreaterThan(3);
    const [head] = await db.query(`SELECT seq::text, chain FROM security_logs ORDER BY seq DESC LIMIT 1`);

    // Two rows the old way: the first left unsealed, the second (a higher id) sealed after the head.
    const write = async (identifier: string): Promise<{ id: string; mac: Buffer }> => {
      const row = { eventType: 'login_success' as const, userId: null, identifier, ip: null, userAgent: null, sessionId: null, requestId: null, details: {}, createdAt: new Date() };
      const mac = rowMac(key, row);
      const [{ id }] = await db.query(`INSERT INTO security_logs (event_type, identifier, details, created_at, mac) VALUES ($1, $2, '{}', $3, $4) RETURNING id::text`, [
        row.eventType,
        identifier,
        row.createdAt,
        mac,
      ]);
      return { id, mac };
    };
    const straggler = await write('late@example.com');
    const later = await write('sealed@example.com');
    const seq = BigInt(head.seq) + 1n;
    await db.query(`UPDATE security_logs SET seq = $1, chain = $2 WHERE id = $3`, [seq.toString(), chainLink(key, head.chain, seq, later.mac), later.id]);
    await first.stop();

    // The upgrade: the service starts again on the same database and migrates it.
    service = await startAuthService({ ...ADMIN, ...NO_RATE_LIMITS }, first.database);
    const upgraded = service;
    const [{ n: links }] = await upgraded.dataSource.query(`SELECT count(*)::int AS n FROM security_log_links`);
    expect(links).toBe(sealed + 1);
    await newSession(upgraded.url, 'after-upgrade');
    await upgraded.app.get(SecurityLogService).flush();
    await upgraded.app.get(ChainSealer).sealOnce();

    const byRow = async (id: string) => (await upgraded.dataSource.query(`SELECT seq::text FROM security_log_links WHERE log_id = $1`, [id])).map((r: { seq: string }) => r.seq);
    expect(await byRow(later.id)).toEqual([seq.toString()]);
    const [stragglerSeq] = await byRow(straggler.id);
    expect(BigInt(stragglerSeq)).toBeGreaterThan(seq);
    expect(await upgraded.dataSource.query(`SELECT l.id FROM security_logs l WHERE NOT EXISTS (SELECT 1 FROM security_log_links k WHERE k.log_id = l.id)`)).toEqual([]);

    const admin = await call<{ access_token: string }>(upgraded.url, 'POST', '/api/auth/login', { json: { email: ADMIN.BOOTSTRAP_ADMIN_EMAIL, password: ADMIN.BOOTSTRAP_ADMIN_PASSWORD } });
    const verified = await call<{ ok: boolean; checked: number }>(upgraded.url, 'GET', '/api/admin/security-logs/verify', { token: admin.body.access_token });
    expect(verified.body).toEqual({ ok: true, checked: expect.any(Number) });
  });
});
