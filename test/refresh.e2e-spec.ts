import { createHash, createHmac, randomBytes } from 'node:crypto';
import { LookUpRefreshTokensById1764600000000 } from '../apps/auth-service/src/database/migrations/1764600000000-LookUpRefreshTokensById';
import { TouchSessionsWithoutIndexChange1764700000000 } from '../apps/auth-service/src/database/migrations/1764700000000-TouchSessionsWithoutIndexChange';
import { DataKeys } from '../apps/auth-service/src/keys/data-keys.service';
import { RunningService, startAuthService } from './support/auth-service';
import { claimsOf, newSession, refresh, TokenPair } from './support/flows';
import { call, STRONG_PASSWORD } from './support/http';
import { NO_RATE_LIMITS, usingPostgres } from './support/test-env';

const sha256 = (token: string) => createHash('sha256').update(token).digest();

// A refresh token is rt_ + base64url(row id ‖ session id ‖ user id ‖ 256 bits): the ids are public,
// only the SHA-256 of the whole string proves it. The attacks below hold a token's public parts.
const bytesOf = (token: string) => Buffer.from(token.slice(3), 'base64url');
const tokenOf = (bytes: Buffer) => `rt_${bytes.toString('base64url')}`;
const ID = 0;
const SESSION = 16;
const SECRET = 48;
const uuidHex = (uuid: unknown) => Buffer.from((uuid as string).replace(/-/g, ''), 'hex');

async function sessionRevoked(service: RunningService, sid: string): Promise<boolean> {
  const [row] = await service.dataSource.query(`SELECT revoked_at FROM sessions WHERE id = $1`, [sid]);
  return row.revoked_at !== null;
}

describe('refresh rotation, strict (REFRESH_REUSE_GRACE=0) (SPEC §4)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ ...NO_RATE_LIMITS, REFRESH_REUSE_GRACE: '0' });
  });
  afterAll(() => service?.close());

  it('answers a new pair, marks the old token used and stores its successor in the same session', async () => {
    const first = await newSession(service.url);
    const res = await refresh(service.url, first.refresh_token);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    const second = res.body;
    expect(second.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{107}$/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(claimsOf(second.access_token).sid).toBe(claimsOf(first.access_token).sid);
    expect(claimsOf(second.access_token).jti).not.toBe(claimsOf(first.access_token).jti);
    expect(second.user).toEqual(first.user);

    const rows = await service.dataSource.query(
      `SELECT id, parent_id, used_at, token_hash FROM refresh_tokens WHERE session_id = $1 ORDER BY created_at, used_at NULLS LAST`,
      [claimsOf(first.access_token).sid],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0].token_hash.equals(sha256(first.refresh_token))).toBe(true);
    expect(rows[0].used_at).not.toBeNull();
    expect(rows[1].token_hash.equals(sha256(second.refresh_token))).toBe(true);
    expect(rows[1].parent_id).toBe(rows[0].id);
    expect(rows[1].used_at).toBeNull();
    expect((await call(service.url, 'GET', '/api/auth/me', { token: second.access_token })).status).toBe(200);
  });

  it('detects reuse: the whole session is revoked, the newest pair included, and says why', async () => {
    const first = await newSession(service.url);
    const second = (await refresh(service.url, first.refresh_token)).body;
    const reuse = await refresh(service.url, first.refresh_token);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual({ statusCode: 401, error: 'invalid_grant', reason: 'reused', message: expect.any(String), request_id: expect.any(String) });
    expect(await sessionRevoked(service, claimsOf(first.access_token).sid as string)).toBe(true);
    expect((await refresh(service.url, second.refresh_token)).body.reason).toBe('revoked');
    const me = await call(service.url, 'GET', '/api/auth/me', { token: second.access_token });
    expect(me.status).toBe(401);
    expect(me.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('answers 20 parallel refreshes of one token with exactly one new pair, the rest reuse, and revokes the session', async () => {
    const first = await newSession(service.url);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(service.url, first.refresh_token)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
    // Every loser presented a used token: reuse, even after the first loser's revocation (SPEC §4).
    for (const a of answers.filter((x) => x.status === 401)) expect(a.body).toEqual({ statusCode: 401, error: 'invalid_grant', reason: 'reused', message: expect.any(String), request_id: expect.any(String) });
    const sid = claimsOf(first.access_token).sid as string;
    expect(await sessionRevoked(service, sid)).toBe(true);
    // Each attempt is recorded; only the first revoked anything.
    const events: { details: { session_already_revoked?: boolean } }[] = await service.dataSource.query(
      `SELECT details FROM security_logs WHERE session_id = $1 AND event_type = 'refresh_token_reuse_detected'`,
      [sid],
    );
    expect(events).toHaveLength(19);
    expect(events.filter((e) => !e.details.session_already_revoked)).toHaveLength(1);
    const winner = answers.find((a) => a.status === 200)!.body;
    expect((await refresh(service.url, winner.refresh_token)).body.reason).toBe('revoked');
  });

  it.each([
    ['a random string', 'nope'],
    ['an empty string', ''],
    ['a quote', "'"],
    ['an SQL fragment', "' OR 1=1; DROP TABLE refresh_tokens; --"],
    ['a near miss of the format', `rt_${'A'.repeat(43)}`],
    ['the prefix alone', 'rt_'],
    ['unicode and NUL', 'rt_\u0000😀'],
    ['an access token', 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln'],
    ['a 5000-character string', 'x'.repeat(5000)],
    ['a 16000-character near miss', `rt_${'A'.repeat(15_997)}`],
  ])('answers %s with 401 invalid_grant reason unknown', async (_, token) => {
    const res = await refresh(service.url, token);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ statusCode: 401, error: 'invalid_grant', reason: 'unknown', message: expect.any(String), request_id: expect.any(String) });
  });

  it.each([
    ['missing', {}],
    ['null', { refresh_token: null }],
    ['a number', { refresh_token: 42 }],
    ['an array', { refresh_token: ['rt_x'] }],
    ['an object', { refresh_token: { $ne: '' } }],
    ['with an extra field', { refresh_token: 'rt_x', grant_type: 'refresh_token' }],
  ])('answers a refresh_token that is %s with 400 validation_failed', async (_, json) => {
    const res = await call(service.url, 'POST', '/api/auth/refresh', { json });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed', details: expect.any(Array) });
  });

  it('answers a huge body with 413', async () => {
    const res = await refresh(service.url, 'x'.repeat(20000));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'payload_too_large' });
  });

  it('tells an idle-expired token from a session past its absolute end', async () => {
    const a = await newSession(service.url);
    await service.dataSource.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [sha256(a.refresh_token)]);
    expect((await refresh(service.url, a.refresh_token)).body.reason).toBe('expired');

    const b = await newSession(service.url);
    await service.dataSource.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [claimsOf(b.access_token).sid]);
    expect((await refresh(service.url, b.refresh_token)).body.reason).toBe('session_expired');
  });

  const reuseEvents = async (sid: string) =>
    (await service.dataSource.query(`SELECT 1 FROM security_logs WHERE event_type = 'refresh_token_reuse_detected' AND session_id = $1`, [sid])).length;

  it('carries its row id, and refuses a token whose named owner was changed', async () => {
    const a = await newSession(service.url);
    const [row] = await service.dataSource.query(`SELECT id, lookup_by_hash FROM refresh_tokens WHERE session_id = $1`, [claimsOf(a.access_token).sid]);
    expect(bytesOf(a.refresh_token).subarray(ID, SESSION).toString('hex')).toBe(row.id.replace(/-/g, ''));
    expect(row.lookup_by_hash).toBe(false);
    const other = await newSession(service.url);
    const bytes = bytesOf(a.refresh_token);
    uuidHex(claimsOf(other.access_token).sid).copy(bytes, SESSION);
    const forged = await refresh(service.url, tokenOf(bytes));
    expect(forged.status).toBe(401);
    expect(forged.body.reason).toBe('unknown');
    expect((await refresh(service.url, other.refresh_token)).status).toBe(200);
    expect((await refresh(service.url, a.refresh_token)).status).toBe(200);
  });

  it('refuses a live token\'s row id with another secret as unknown: nothing revoked, the token still refreshes', async () => {
    const a = await newSession(service.url);
    const sid = claimsOf(a.access_token).sid as string;
    const bytes = bytesOf(a.refresh_token);
    bytes.fill(0x41, SECRET);
    for (const forged of [tokenOf(bytes), tokenOf(Buffer.concat([bytes.subarray(0, SECRET), randomBytes(32)]))]) {
      const res = await refresh(service.url, forged);
      expect(res.status).toBe(401);
      expect(res.body.reason).toBe('unknown');
      expect((await call(service.url, 'POST', '/api/auth/logout', { json: { refresh_token: forged } })).status).toBe(204);
    }
    expect(await sessionRevoked(service, sid)).toBe(false);
    expect((await refresh(service.url, a.refresh_token)).status).toBe(200);
  });

  it('refuses a used token\'s row id with another secret as unknown, not as reuse: a public id cannot revoke a session', async () => {
    const a = await newSession(service.url);
    const sid = claimsOf(a.access_token).sid as string;
    const next = (await refresh(service.url, a.refresh_token)).body;
    const bytes = bytesOf(a.refresh_token);
    bytes.fill(0x42, SECRET);
    const res = await refresh(service.url, tokenOf(bytes));
    expect(res.status).toBe(401);
    expect(res.body.reason).toBe('unknown');
    expect(await sessionRevoked(service, sid)).toBe(false);
    expect(await reuseEvents(sid)).toBe(0);
    expect((await refresh(service.url, next.refresh_token)).status).toBe(200);
  });

  it('refuses a token spliced from two: one token\'s row id with another\'s secret', async () => {
    const victim = await newSession(service.url);
    const attacker = await newSession(service.url);
    const spliced = Buffer.concat([bytesOf(victim.refresh_token).subarray(0, SECRET), bytesOf(attacker.refresh_token).subarray(SECRET)]);
    const res = await refresh(service.url, tokenOf(spliced));
    expect(res.body.reason).toBe('unknown');
    const swapped = Buffer.concat([bytesOf(attacker.refresh_token).subarray(0, SESSION), bytesOf(victim.refresh_token).subarray(SESSION)]);
    expect((await refresh(service.url, tokenOf(swapped))).body.reason).toBe('unknown');
    expect((await refresh(service.url, victim.refresh_token)).status).toBe(200);
    expect((await refresh(service.url, attacker.refresh_token)).status).toBe(200);
  });

  it('rotates tokens of both earlier shapes (found by hash alone), and their successors carry their row id', async () => {
    // As the previous versions issued them: rt_ + 43 characters (no owner), and rt_ + 86 (session
    // id, user id, 256 bits). Their rows were written before the migration, which marked them
    // lookup_by_hash.
    for (const shape of ['random', 'owner'] as const) {
      const b = await newSession(service.url);
      const { sid, sub } = claimsOf(b.access_token) as { sid: string; sub: string };
      const legacy =
        shape === 'random' ? `rt_${Buffer.alloc(32, 7).toString('base64url')}` : tokenOf(Buffer.concat([uuidHex(sid), uuidHex(sub), Buffer.alloc(32, 9)]));
      await service.dataSource.query(`UPDATE refresh_tokens SET token_hash = $1, lookup_by_hash = true WHERE token_hash = $2`, [sha256(legacy), sha256(b.refresh_token)]);
      const rotated = await refresh(service.url, legacy);
      expect(rotated.status).toBe(200);
      expect(rotated.body.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{107}$/);
      const [successor] = await service.dataSource.query(`SELECT id, lookup_by_hash FROM refresh_tokens WHERE session_id = $1 AND used_at IS NULL`, [sid]);
      expect(bytesOf(rotated.body.refresh_token).subarray(ID, SESSION).toString('hex')).toBe(successor.id.replace(/-/g, ''));
      expect(bytesOf(rotated.body.refresh_token).subarray(SESSION, SECRET).toString('hex')).toBe(`${sid}${sub}`.replace(/-/g, ''));
      expect(successor.lookup_by_hash).toBe(false);
      expect(claimsOf(rotated.body.access_token).sid).toBe(sid);
      expect((await refresh(service.url, rotated.body.refresh_token)).status).toBe(200);
      expect((await refresh(service.url, legacy)).body.reason).toBe('reused');
      expect(await sessionRevoked(service, sid)).toBe(true);
    }
  });

  it('migration: a token row written before LookUpRefreshTokensById is found by its hash after it', async () => {
    const b = await newSession(service.url);
    const sid = claimsOf(b.access_token).sid as string;
    const legacy = `rt_${randomBytes(32).toString('base64url')}`;
    const runner = service.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await new LookUpRefreshTokensById1764600000000().down(runner);
      // As the previous version wrote it: no lookup_by_hash column to name.
      await runner.query(`UPDATE refresh_tokens SET token_hash = $1 WHERE session_id = $2`, [sha256(legacy), sid]);
      await new LookUpRefreshTokensById1764600000000().up(runner);
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    const [row] = await service.dataSource.query(`SELECT lookup_by_hash FROM refresh_tokens WHERE session_id = $1`, [sid]);
    expect(row.lookup_by_hash).toBe(true);
    const rotated = await refresh(service.url, legacy);
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{107}$/);
    // Every token issued since (by the other tests here) is still found by its row id.
    expect((await refresh(service.url, rotated.body.refresh_token)).status).toBe(200);
  });

  it("touches the session in place: no index of sessions holds last_used_at, and the touch is a heap-only update", async () => {
    const indexing = (q: { query: (sql: string) => Promise<{ name: string }[]> }) =>
      q.query(
        `SELECT i.indexrelid::regclass::text AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = 'sessions'::regclass AND a.attname = 'last_used_at'`,
      );
    expect(await indexing(service.dataSource)).toEqual([]);
    // The migration runs down and up again on a live database.
    const migrating = service.dataSource.createQueryRunner();
    try {
      await migrating.startTransaction();
      await new TouchSessionsWithoutIndexChange1764700000000().down(migrating);
      expect(await indexing(migrating)).toEqual([{ name: 'sessions_user_live_idx' }]);
      await new TouchSessionsWithoutIndexChange1764700000000().up(migrating);
      expect(await indexing(migrating)).toEqual([]);
      await migrating.commitTransaction();
    } finally {
      if (migrating.isTransactionActive) await migrating.rollbackTransaction();
      await migrating.release();
    }
    const b = await newSession(service.url);
    const sid = claimsOf(b.access_token).sid as string;
    const runner = service.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      // This connection's counters not yet sent to the statistics (earlier transactions' included): the difference is the touch's.
      const counters = async (): Promise<{ updated: number; hot: number }> =>
        (
          await runner.query(
            `SELECT pg_stat_get_xact_tuples_updated('sessions'::regclass)::int AS updated, pg_stat_get_xact_tuples_hot_updated('sessions'::regclass)::int AS hot`,
          )
        )[0];
      const before = await counters();
      // The touch as a refresh makes it (sessions.repository.ts).
      await runner.query(`UPDATE sessions SET last_used_at = now() WHERE id = $1`, [sid]);
      const after = await counters();
      expect({ updated: after.updated - before.updated, hot: after.hot - before.hot }).toEqual({ updated: 1, hot: 1 });
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    expect((await refresh(service.url, b.refresh_token)).status).toBe(200);
  });

  it('finds an earlier-shape token only among rows marked for lookup by hash', async () => {
    const b = await newSession(service.url);
    const legacy = `rt_${Buffer.alloc(32, 11).toString('base64url')}`;
    // A row written by this version (lookup_by_hash false) whose hash somehow matched an earlier-shape string is not found by it.
    await service.dataSource.query(`UPDATE refresh_tokens SET token_hash = $1 WHERE token_hash = $2`, [sha256(legacy), sha256(b.refresh_token)]);
    expect((await refresh(service.url, legacy)).body.reason).toBe('unknown');
  });

  it('writes exactly one token_refreshed event per rotation, with the session and user, and none for a failure', async () => {
    const a = await newSession(service.url);
    const { sid, sub } = claimsOf(a.access_token) as { sid: string; sub: string };
    const second = await refresh(service.url, a.refresh_token);
    expect(second.status).toBe(200);
    await refresh(service.url, second.body.refresh_token);
    const rows = await service.dataSource.query(`SELECT user_id, session_id, ip, request_id FROM security_logs WHERE event_type = 'token_refreshed' AND session_id = $1`, [sid]);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ user_id: sub, session_id: sid, request_id: expect.any(String) });
    // A session past its end: the statement writes nothing; the locked path answers why.
    const b = await newSession(service.url);
    const bSid = claimsOf(b.access_token).sid;
    await service.dataSource.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [bSid]);
    expect((await refresh(service.url, b.refresh_token)).body.reason).toBe('session_expired');
    const none = await service.dataSource.query(`SELECT 1 FROM security_logs WHERE event_type = 'token_refreshed' AND session_id = $1`, [bSid]);
    expect(none).toHaveLength(0);
    const [unused] = await service.dataSource.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1 AND used_at IS NULL`, [bSid]);
    expect(unused.n).toBe(1);
  });

  it('slides the idle lifetime but never moves the session end: refresh_expires_in is the smaller', async () => {
    const a = await newSession(service.url);
    expect(a.refresh_expires_in).toBe(604800);
    const sid = claimsOf(a.access_token).sid;
    await service.dataSource.query(`UPDATE sessions SET expires_at = now() + interval '100 seconds' WHERE id = $1`, [sid]);
    const [before] = await service.dataSource.query(`SELECT expires_at FROM sessions WHERE id = $1`, [sid]);
    const res = await refresh(service.url, a.refresh_token);
    expect(res.status).toBe(200);
    expect(res.body.refresh_expires_in).toBeGreaterThan(95);
    expect(res.body.refresh_expires_in).toBeLessThanOrEqual(100);
    const [after] = await service.dataSource.query(`SELECT expires_at FROM sessions WHERE id = $1`, [sid]);
    expect(after.expires_at).toEqual(before.expires_at);
    const [token] = await service.dataSource.query(`SELECT expires_at FROM refresh_tokens WHERE token_hash = $1`, [sha256(res.body.refresh_token)]);
    expect(new Date(token.expires_at).getTime()).toBe(new Date(before.expires_at).getTime());
    // Nor does the access token outlive the session: expires_in and exp stop at its end.
    const body = res.body as unknown as { expires_in: number; access_token: string };
    expect(body.expires_in).toBeGreaterThan(95);
    expect(body.expires_in).toBeLessThanOrEqual(100);
    expect(claimsOf(body.access_token).exp).toBeLessThanOrEqual(Math.floor(new Date(before.expires_at).getTime() / 1000));
    expect(a).toMatchObject({ expires_in: 900 }); // far from its end, a session's token lives ACCESS_TOKEN_TTL
  });
});

describe('refresh rotation with the default grace (10 s)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService(NO_RATE_LIMITS);
  });
  afterAll(() => service?.close());

  it('gives 20 parallel refreshes of one token the same successor, each with a fresh access token, and the family does not fork', async () => {
    const first = await newSession(service.url);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(service.url, first.refresh_token)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const successors = new Set(answers.map((a) => a.body.refresh_token));
    expect(successors.size).toBe(1);
    expect(new Set(answers.map((a) => claimsOf(a.body.access_token).jti)).size).toBe(20);
    const sid = claimsOf(first.access_token).sid;
    const [{ unused, total }] = await service.dataSource.query(
      `SELECT count(*) FILTER (WHERE used_at IS NULL)::int AS unused, count(*)::int AS total FROM refresh_tokens WHERE session_id = $1`,
      [sid],
    );
    expect({ unused, total }).toEqual({ unused: 1, total: 2 });

    // The successor rotates normally; once it is used, the parent is reuse even inside the window.
    const next = await refresh(service.url, [...successors][0]);
    expect(next.status).toBe(200);
    const late = await refresh(service.url, first.refresh_token);
    expect(late.body.reason).toBe('reused');
    expect(await sessionRevoked(service, sid as string)).toBe(true);
  });

  it.each([
    ['session id ‖ user id ‖ 256 bits', true],
    ['256 bits alone', false],
  ])('hands out again, inside the window, a successor a previous version issued (tokens of the earlier shape: %s)', async (_shape, withOwner) => {
    // As a previous version left a session: its parent used a second ago, and the successor it
    // derived from it (the HMAC of the parent, after the owner's ids in the later of the two shapes).
    const first = await newSession(service.url);
    const { sid, sub } = claimsOf(first.access_token) as { sid: string; sub: string };
    const owner = withOwner ? Buffer.concat([uuidHex(sid), uuidHex(sub)]) : Buffer.alloc(0);
    const parent = tokenOf(Buffer.concat([owner, randomBytes(32)]));
    const key = service.app.get(DataKeys).key('refresh-successor');
    const successor = tokenOf(Buffer.concat([owner, createHmac('sha256', key).update(parent).digest()]));
    // TypeORM answers an UPDATE … RETURNING with [rows, count].
    const [[row]] = await service.dataSource.query(
      `UPDATE refresh_tokens SET token_hash = $1, lookup_by_hash = true, used_at = now() - interval '1 second' WHERE token_hash = $2 RETURNING id, expires_at`,
      [sha256(parent), sha256(first.refresh_token)],
    );
    await service.dataSource.query(
      `INSERT INTO refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at) VALUES (gen_random_uuid(), $1, $2, $3, now() - interval '1 second', $4)`,
      [sid, row.id, sha256(successor), row.expires_at],
    );
    const retry = await refresh(service.url, parent);
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(successor);
    expect(await sessionRevoked(service, sid)).toBe(false);
    const next = await refresh(service.url, successor);
    expect(next.status).toBe(200);
    expect(next.body.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{107}$/);
  });

  it('treats a retry after the window as reuse', async () => {
    const first = await newSession(service.url);
    expect((await refresh(service.url, first.refresh_token)).status).toBe(200);
    await service.dataSource.query(`UPDATE refresh_tokens SET used_at = now() - interval '11 seconds' WHERE token_hash = $1`, [sha256(first.refresh_token)]);
    expect((await refresh(service.url, first.refresh_token)).body.reason).toBe('reused');
  });
});

/**
 * Random operations in random concurrency on several sessions of one user, with the invariants of
 * SPEC §4 checked after every round: at most one live token per session, no token used longer ago
 * than the grace ever accepted again, a revoked session stays revoked (its tokens refused).
 */
describe.each([0, 10])('randomised interleaving (grace %i s)', (grace) => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ ...NO_RATE_LIMITS, REFRESH_REUSE_GRACE: String(grace) });
  });
  afterAll(() => service?.close());

  it('keeps every invariant through 80 rounds', async () => {
    let seed = 20261124 + grace;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const first = await newSession(service.url, 'chaos');
    const passwords = [STRONG_PASSWORD, 'another long passphrase 7'];
    let password = 0;
    type Tracked = { sid: string; pairs: TokenPair[] };
    const sessions: Tracked[] = [{ sid: claimsOf(first.access_token).sid as string, pairs: [first] }];
    const addSession = async () => {
      const res = await call<TokenPair>(service.url, 'POST', '/api/auth/login', { json: { email: first.email, password: passwords[password] } });
      expect(res.status).toBe(200);
      sessions.push({ sid: claimsOf(res.body.access_token).sid as string, pairs: [res.body] });
    };
    const revokedBefore = new Set<string>();
    let refreshes = 0;
    let reuses = 0;

    for (let round = 0; round < 80; round++) {
      while (sessions.filter((t) => !revokedBefore.has(t.sid)).length < 2) await addSession();
      // Tokens used longer ago than the grace, as the database says before this round.
      const old: { token_hash: Buffer }[] = await service.dataSource.query(
        `SELECT token_hash FROM refresh_tokens WHERE used_at < now() - ($1 || ' seconds')::interval`,
        [String(grace)],
      );
      const oldHashes = new Set(old.map((row) => row.token_hash.toString('hex')));
      const width = 1 + Math.floor(random() * 4);
      const ops = Array.from({ length: width }, () => ({
        op: pick(['refresh', 'refresh', 'refresh', 'refresh', 'stale', 'logout', 'revoke', 'password', 'me']),
        target: pick(sessions),
      }));
      const results = await Promise.all(
        ops.map(async ({ op, target }) => {
          const pair = op === 'stale' ? pick(target.pairs) : target.pairs[target.pairs.length - 1];
          if (op === 'refresh' || op === 'stale') {
            const res = await refresh(service.url, pair.refresh_token);
            if (res.status === 200) target.pairs.push(res.body);
            refreshes++;
            if (res.body?.reason === 'reused') reuses++;
            return { op, status: res.status, wasOld: oldHashes.has(sha256(pair.refresh_token).toString('hex')) };
          }
          if (op === 'logout') return { op, status: (await call(service.url, 'POST', '/api/auth/logout', { json: { refresh_token: pair.refresh_token } })).status };
          if (op === 'revoke') return { op, status: (await call(service.url, 'POST', '/api/auth/revoke', { json: { token: pair.access_token } })).status };
          if (op === 'password') {
            const next = 1 - password;
            const res = await call(service.url, 'POST', '/api/auth/password', {
              token: pair.access_token,
              json: { current_password: passwords[password], new_password: passwords[next] },
            });
            if (res.status === 204) password = next;
            return { op, status: res.status };
          }
          return { op, status: (await call(service.url, 'GET', '/api/auth/me', { token: pair.access_token })).status };
        }),
      );
      for (const r of results) {
        expect(r.status).toBeLessThan(500);
        if (r.wasOld) expect(r.status).toBe(401); // no used token accepted again
      }

      const rows: { id: string; revoked: boolean; live: number }[] = await service.dataSource.query(
        `SELECT s.id, s.revoked_at IS NOT NULL AS revoked,
                (SELECT count(*)::int FROM refresh_tokens t WHERE t.session_id = s.id AND t.used_at IS NULL) AS live
           FROM sessions s WHERE s.user_id = $1`,
        [first.user.id],
      );
      for (const row of rows) {
        expect(row.live).toBeLessThanOrEqual(1);
        if (revokedBefore.has(row.id)) expect(row.revoked).toBe(true); // a revoked session stays revoked
        if (row.revoked && !revokedBefore.has(row.id)) {
          revokedBefore.add(row.id);
          const tracked = sessions.find((t) => t.sid === row.id);
          const last = tracked?.pairs[tracked.pairs.length - 1];
          if (last) {
            expect((await refresh(service.url, last.refresh_token)).status).toBe(401);
            expect((await call(service.url, 'GET', '/api/auth/me', { token: last.access_token })).status).toBe(401);
          }
        }
      }
    }
    // The run exercised what it claims to: many refreshes, revocations, and (strict) reuse detection.
    expect(refreshes).toBeGreaterThan(100);
    expect(revokedBefore.size).toBeGreaterThan(3);
    if (grace === 0) expect(reuses).toBeGreaterThan(0);
  });
});

const bothParts = usingPostgres() && Boolean(process.env.TEST_REDIS_URL);
describe('two instances on one PostgreSQL database and Redis', () => {
  (bothParts ? it : it.skip)('(needs TEST_DATABASE_URL and TEST_REDIS_URL) split a race of 20 refreshes: strict gives one winner, grace gives one successor', async () => {
    const redis = { REDIS_URL: process.env.TEST_REDIS_URL as string };
    for (const grace of ['0', '10']) {
      const a = await startAuthService({ ...NO_RATE_LIMITS, ...redis, REFRESH_REUSE_GRACE: grace });
      const b = await startAuthService({ ...NO_RATE_LIMITS, ...redis, REFRESH_REUSE_GRACE: grace }, a.database);
      try {
        const first = await newSession(a.url);
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(i % 2 ? b.url : a.url, first.refresh_token)));
        const ok = answers.filter((x) => x.status === 200);
        expect(answers.every((x) => x.status === 200 || x.status === 401)).toBe(true);
        if (grace === '0') {
          expect(ok).toHaveLength(1);
          expect(answers.filter((x) => x.status === 401).map((x) => x.body.reason)).toEqual(Array(19).fill('reused'));
          expect(await sessionRevoked(a, claimsOf(first.access_token).sid as string)).toBe(true);
          // The winner's access token is refused on both instances (revocation shared through Redis).
          for (const url of [a.url, b.url]) expect((await call(url, 'GET', '/api/auth/me', { token: ok[0].body.access_token })).status).toBe(401);
        } else {
          expect(ok).toHaveLength(20);
          expect(new Set(ok.map((x) => x.body.refresh_token)).size).toBe(1);
        }
      } finally {
        await b.stop();
        await a.close();
      }
    }
  });
});
