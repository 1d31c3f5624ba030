import { createHash } from 'node:crypto';
import { RunningService, startAuthService } from './support/auth-service';
import { claimsOf, newSession, refresh, TokenPair } from './support/flows';
import { call, STRONG_PASSWORD } from './support/http';
import { NO_RATE_LIMITS, usingPostgres } from './support/test-env';

const sha256 = (token: string) => createHash('sha256').update(token).digest();

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
    expect(second.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{86}$/);
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

  it('refuses a token whose named owner was changed, and rotates one issued before tokens named their owner', async () => {
    // A token names its session and user (one-statement rotation), but only the hash of the whole
    // string finds a row: another owner written into a live token makes an unknown token.
    const a = await newSession(service.url);
    const other = await newSession(service.url);
    const bytes = Buffer.from(a.refresh_token.slice(3), 'base64url');
    Buffer.from((claimsOf(other.access_token).sid as string).replace(/-/g, ''), 'hex').copy(bytes, 0);
    const forged = await refresh(service.url, `rt_${bytes.toString('base64url')}`);
    expect(forged.status).toBe(401);
    expect(forged.body.reason).toBe('unknown');
    expect((await refresh(service.url, other.refresh_token)).status).toBe(200);
    expect((await refresh(service.url, a.refresh_token)).status).toBe(200);

    // A token of the earlier shape (rt_ + 43 characters, no owner) still refreshes, and its
    // successor names its owner; reusing it is still reuse.
    const b = await newSession(service.url);
    const sid = claimsOf(b.access_token).sid as string;
    const legacy = `rt_${Buffer.alloc(32, 7).toString('base64url')}`;
    await service.dataSource.query(`UPDATE refresh_tokens SET token_hash = $1 WHERE token_hash = $2`, [sha256(legacy), sha256(b.refresh_token)]);
    const rotated = await refresh(service.url, legacy);
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{86}$/);
    expect(Buffer.from(rotated.body.refresh_token.slice(3), 'base64url').subarray(0, 16).toString('hex')).toBe(sid.replace(/-/g, ''));
    expect(claimsOf(rotated.body.access_token).sid).toBe(sid);
    expect((await refresh(service.url, rotated.body.refresh_token)).status).toBe(200);
    expect((await refresh(service.url, legacy)).body.reason).toBe('reused');
    expect(await sessionRevoked(service, sid)).toBe(true);
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
