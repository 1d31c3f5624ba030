import * as argon2 from 'argon2';
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SessionsHousekeeping } from '../apps/auth-service/src/sessions/housekeeping.service';
import { RunningService, startAuthService } from './support/auth-service';
import { claimsOf, login, newSession, refresh, TokenPair } from './support/flows';
import { call, STRONG_PASSWORD, uniqueEmail } from './support/http';
import { usingPostgres } from './support/test-env';

// Many logins and refreshes from one address: the per-IP limits are not what these tests check.
const NO_LIMITS = { RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const me = (url: string, token: string) => call(url, 'GET', '/api/auth/me', { token });
const sidOf = (pair: TokenPair) => claimsOf(pair.access_token).sid as string;
const post = (url: string, path: string, json: unknown, token?: string) => call(url, 'POST', path, { json, token });

async function registerUser(url: string, prefix = 'sess'): Promise<string> {
  const email = uniqueEmail(prefix);
  const res = await call(url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
  expect(res.status).toBe(201);
  return email;
}

/** The session is over: its access token is refused at once, its refresh token says `revoked`. */
async function expectRevoked(url: string, pair: TokenPair): Promise<void> {
  const who = await me(url, pair.access_token);
  expect(who.status).toBe(401);
  expect(who.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
  expect(who.headers.get('www-authenticate')).toMatch(/^Bearer/);
  const res = await refresh(url, pair.refresh_token);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ statusCode: 401, error: 'invalid_grant', reason: 'revoked', message: expect.any(String), request_id: expect.any(String) });
}

/** The session works: /me answers and the refresh token rotates. Returns the new pair. */
async function expectLive(url: string, pair: TokenPair): Promise<TokenPair> {
  expect((await me(url, pair.access_token)).status).toBe(200);
  const res = await refresh(url, pair.refresh_token);
  expect(res.status).toBe(200);
  return res.body;
}

describe('sessions, logout and revocation (SPEC §2, §4)', () => {
  let service: RunningService;
  let url: string;
  beforeAll(async () => {
    service = await startAuthService({ REFRESH_REUSE_GRACE: '0', ...NO_LIMITS });
    url = service.url;
  });
  afterAll(() => service?.close());

  describe('POST /api/auth/logout', () => {
    it('answers 204 and revokes the session: refresh says revoked, the access token is refused at once', async () => {
      const s = await newSession(url);
      const res = await post(url, '/api/auth/logout', { refresh_token: s.refresh_token });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      await expectRevoked(url, s);
    });

    it('answers 204 for an unknown token and revokes nothing', async () => {
      const s = await newSession(url);
      for (const token of ['nope', `rt_${'A'.repeat(43)}`, '']) {
        expect((await post(url, '/api/auth/logout', { refresh_token: token })).status).toBe(204);
      }
      await expectLive(url, s);
    });

    it('answers 204 for an already used token, which is no reuse: the successor still refreshes (grace 0)', async () => {
      const first = await newSession(url);
      const second = (await refresh(url, first.refresh_token)).body;
      expect(second.refresh_token).toMatch(/^rt_/);
      expect((await post(url, '/api/auth/logout', { refresh_token: first.refresh_token })).status).toBe(204);
      const [row] = await service.dataSource.query(`SELECT revoked_at FROM sessions WHERE id = $1`, [sidOf(first)]);
      expect(row.revoked_at).toBeNull();
      await expectLive(url, second);
    });

    it.each([
      ['a missing refresh_token', {}],
      ['a null refresh_token', { refresh_token: null }],
      ['a number', { refresh_token: 42 }],
      ['an array', { refresh_token: ['rt_x'] }],
    ])('refuses %s with 400 validation_failed', async (_, json) => {
      const res = await post(url, '/api/auth/logout', json);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
      expect(res.body.details).toEqual(expect.arrayContaining([{ field: 'refresh_token', message: expect.any(String) }]));
    });
  });

  describe('POST /api/auth/logout-all', () => {
    it('revokes every session of the user and no one else', async () => {
      const a = await newSession(url);
      const b = await login(url, a.email);
      const other = await newSession(url, 'other');
      const res = await post(url, '/api/auth/logout-all', undefined, a.access_token);
      expect(res.status).toBe(204);
      await expectRevoked(url, a);
      await expectRevoked(url, b);
      await expectLive(url, other);
    });

    it('refuses an Authorization header that is not exactly one bearer token', async () => {
      const s = await newSession(url);
      for (const authorization of [`Bearer ${s.access_token} ${s.access_token}`, `Bearer ${s.access_token},x`, `Basic ${s.access_token}`, s.access_token, 'Bearer ']) {
        const res = await call(url, 'GET', '/api/auth/me', { headers: { authorization } });
        expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
      }
      // RFC 6750 allows one or more spaces, and the scheme in any case.
      for (const authorization of [`Bearer  ${s.access_token}`, `bearer ${s.access_token}`]) {
        expect((await call(url, 'GET', '/api/auth/me', { headers: { authorization } })).status).toBe(200);
      }
    });

    it('refuses two Authorization headers, even two equal ones', async () => {
      const s = await newSession(url);
      const status = await new Promise<number>((resolve, reject) => {
        const { hostname, port } = new URL(url);
        const req = httpRequest({ hostname, port, path: '/api/auth/me', headers: ['Host', `${hostname}:${port}`, 'Authorization', `Bearer ${s.access_token}`, 'Authorization', `Bearer ${s.access_token}`] }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(401);
    });

    it('refuses members in the body of routes that take none, and does nothing', async () => {
      const s = await newSession(url);
      const res = await post(url, '/api/auth/logout-all', { everything: true }, s.access_token);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'everything', message: expect.any(String) }] });
      await expectLive(url, s);
      expect((await post(url, '/api/auth/logout-all', {}, s.access_token)).status).toBe(204);
    });

    it('answers 401 with WWW-Authenticate: Bearer without a token', async () => {
      const res = await post(url, '/api/auth/logout-all', undefined);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    });
  });

  describe('POST /api/auth/revoke (RFC 7009)', () => {
    const revokeForm = (body: string) => call(url, 'POST', '/api/auth/revoke', { body, headers: FORM });

    it('revokes the session of a refresh token sent as JSON', async () => {
      const s = await newSession(url);
      const res = await post(url, '/api/auth/revoke', { token: s.refresh_token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
      await expectRevoked(url, s);
    });

    it('revokes the session of a refresh token sent form-encoded with a hint', async () => {
      const s = await newSession(url);
      const res = await revokeForm(`token=${encodeURIComponent(s.refresh_token)}&token_type_hint=refresh_token`);
      expect(res.status).toBe(200);
      await expectRevoked(url, s);
    });

    it('revokes the session of a valid access token', async () => {
      const s = await newSession(url);
      const res = await post(url, '/api/auth/revoke', { token: s.access_token });
      expect(res.status).toBe(200);
      await expectRevoked(url, s);
    });

    it('answers 200 for tokens of any length and takes a public client’s client_id (RFC 7009 §2.1, §2.2)', async () => {
      const s = await newSession(url);
      expect((await post(url, '/api/auth/revoke', { token: 'x'.repeat(9000) })).status).toBe(200);
      expect((await post(url, '/api/auth/logout', { refresh_token: 'x'.repeat(9000) })).status).toBe(204);
      const form = await call(url, 'POST', '/api/auth/revoke', { body: `token=${s.refresh_token}&token_type_hint=refresh_token&client_id=tessera`, headers: FORM });
      expect(form.status).toBe(200);
      await expectRevoked(url, s);
    });

    it('answers 200 for garbage and unknown tokens, and revokes nothing', async () => {
      const s = await newSession(url);
      for (const token of ['garbage', `rt_${'B'.repeat(43)}`, 'eyJhbGciOiJub25lIn0.e30.', '']) {
        expect((await post(url, '/api/auth/revoke', { token })).status).toBe(200);
      }
      expect((await revokeForm('token=garbage&token_type_hint=access_token')).status).toBe(200);
      await expectLive(url, s);
    });

    it('refuses a missing token (JSON or form) and a repeated form parameter with 400', async () => {
      const s = await newSession(url);
      for (const res of [
        await post(url, '/api/auth/revoke', {}),
        await post(url, '/api/auth/revoke', { token: 42 }),
        await revokeForm('token_type_hint=refresh_token'),
      ]) {
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
      }
      const repeated = await revokeForm(`token=${encodeURIComponent(s.refresh_token)}&token=other`);
      expect(repeated.status).toBe(400);
      expect(repeated.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'token', message: expect.any(String) }] });
      await expectLive(url, s);
    });

    it('takes the form encoding on /revoke only: a form body on /login is 415', async () => {
      const email = await registerUser(url);
      const body = new URLSearchParams({ email, password: STRONG_PASSWORD }).toString();
      const res = await call(url, 'POST', '/api/auth/login', { body, headers: FORM });
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ statusCode: 415, error: 'unsupported_media_type' });
    });
  });

  describe('GET and DELETE /api/auth/sessions', () => {
    it('lists the live sessions of the user, exact shape, the caller marked current, no secrets', async () => {
      const email = await registerUser(url);
      const a = await login(url, email, 'Agent-A/1.0');
      const b = await login(url, email, 'Agent-B/2.0');
      const res = await call<{ items: Record<string, unknown>[]; next_cursor: unknown }>(url, 'GET', '/api/auth/sessions', { token: a.access_token });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'next_cursor']);
      expect(res.body.next_cursor).toBeNull();
      expect(res.body.items).toHaveLength(2);
      const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      for (const item of res.body.items) {
        expect(Object.keys(item).sort()).toEqual(['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent']);
        expect(item).toEqual({ id: expect.any(String), created_at: iso, last_used_at: iso, expires_at: iso, ip: '127.0.0.1', user_agent: expect.any(String), current: expect.any(Boolean) });
        // expires_at is the absolute end: SESSION_MAX_AGE (30 days by default) after the login.
        expect(Date.parse(item.expires_at as string) - Date.parse(item.created_at as string)).toBe(2592000 * 1000);
      }
      const current = res.body.items.filter((i) => i.current);
      expect(current).toHaveLength(1);
      expect(current[0]).toMatchObject({ id: sidOf(a), user_agent: 'Agent-A/1.0' });
      expect(res.body.items.find((i) => !i.current)).toMatchObject({ id: sidOf(b), user_agent: 'Agent-B/2.0' });
      for (const secret of [a.refresh_token, b.refresh_token, a.access_token, 'rt_', 'token_hash', 'argon2', 'password']) {
        expect(res.text).not.toContain(secret);
      }
      const fromB = await call<{ items: { id: string; current: boolean }[] }>(url, 'GET', '/api/auth/sessions', { token: b.access_token });
      expect(fromB.body.items.filter((i) => i.current).map((i) => i.id)).toEqual([sidOf(b)]);
    });

    it('DELETE revokes another session of the user: gone from the list, refresh revoked, access token refused', async () => {
      const email = await registerUser(url);
      const a = await login(url, email, 'Agent-A/1.0');
      const b = await login(url, email, 'Agent-B/2.0');
      const res = await call(url, 'DELETE', `/api/auth/sessions/${sidOf(b)}`, { token: a.access_token });
      expect(res.status).toBe(204);
      const list = await call<{ items: { id: string }[] }>(url, 'GET', '/api/auth/sessions', { token: a.access_token });
      expect(list.body.items.map((i) => i.id)).toEqual([sidOf(a)]);
      await expectRevoked(url, b);
      await expectLive(url, a);
    });

    it('answers the same 404 not_found for a random id, another user’s session, a revoked one and a malformed id', async () => {
      const email = await registerUser(url);
      const a = await login(url, email);
      const b = await login(url, email);
      const stranger = await newSession(url, 'stranger');
      expect((await call(url, 'DELETE', `/api/auth/sessions/${sidOf(b)}`, { token: a.access_token })).status).toBe(204);
      const answers = [];
      for (const id of [randomUUID(), sidOf(stranger), sidOf(b), 'not-a-uuid']) {
        answers.push(await call(url, 'DELETE', `/api/auth/sessions/${id}`, { token: a.access_token }));
      }
      for (const res of answers) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ statusCode: 404, error: 'not_found', message: expect.any(String), request_id: expect.any(String) });
        // The same answer whatever the id (only the request's own id differs).
        expect({ ...res.body, request_id: undefined }).toEqual({ ...answers[0].body, request_id: undefined });
      }
      await expectLive(url, stranger);
    });

    it('answers 404 for a session of the caller that is over: past its absolute end, or idled out', async () => {
      const email = await registerUser(url);
      const [a, ended, idle] = [await login(url, email), await login(url, email), await login(url, email)];
      await service.dataSource.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [sidOf(ended)]);
      await service.dataSource.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = $1`, [sidOf(idle)]);
      for (const over of [ended, idle]) expect((await call(url, 'DELETE', `/api/auth/sessions/${sidOf(over)}`, { token: a.access_token })).status).toBe(404);
      const [{ n }] = await service.dataSource.query(`SELECT count(*)::int AS n FROM security_logs WHERE event_type = 'session_revoked' AND session_id = ANY($1::uuid[])`, [[sidOf(ended), sidOf(idle)]]);
      expect(n).toBe(0);
    });
  });

  describe('POST /api/auth/password', () => {
    const NEW_PASSWORD = 'a brand new passphrase 77';
    const change = (token: string, json: unknown) => post(url, '/api/auth/password', json, token);

    it('refuses a wrong current password, a weak new one and an unknown field with 400, revoking nothing', async () => {
      const s = await newSession(url);
      const other = await login(url, s.email);
      const cases: [Record<string, unknown>, string][] = [
        [{ current_password: 'not the password 123', new_password: NEW_PASSWORD }, 'current_password'],
        [{ current_password: STRONG_PASSWORD, new_password: 'password1' }, 'new_password'],
        [{ current_password: STRONG_PASSWORD, new_password: 'x7Kq!pZ' }, 'new_password'],
        [{ current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD, is_admin: true }, 'is_admin'],
      ];
      for (const [json, field] of cases) {
        const res = await change(s.access_token, json);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
        expect(res.body.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
      }
      await expectLive(url, other);
      expect((await post(url, '/api/auth/login', { email: s.email, password: STRONG_PASSWORD })).status).toBe(200);
    });

    it('changes the password: 204, other sessions revoked, the current one kept, only the new password signs in', async () => {
      const current = await newSession(url);
      const other = await login(url, current.email);
      const res = await change(current.access_token, { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD });
      expect(res.status).toBe(204);
      await expectRevoked(url, other);
      await expectLive(url, current);
      const old = await post(url, '/api/auth/login', { email: current.email, password: STRONG_PASSWORD });
      expect(old.status).toBe(401);
      expect(old.body).toMatchObject({ error: 'invalid_credentials' });
      expect((await post(url, '/api/auth/login', { email: current.email, password: NEW_PASSWORD })).status).toBe(200);
    });
  });

  describe('logins racing a password change, a disable, or each other', () => {
    // The login checks the password outside any transaction (argon2 is slow) and creates the session
    // after. To make the race certain rather than likely, the test holds the user's row lock in a
    // transaction of its own, lets the logins reach their transaction and wait on it, changes the
    // account in that transaction as a password change or a disable does, then commits.
    // PostgreSQL only: the embedded database runs one transaction at a time, so it cannot race.
    const pgIt = usingPostgres() ? it : it.skip;

    const liveSessions = async (userId: string): Promise<string[]> =>
      (await service.dataSource.query(`SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, [userId])).map((r: { id: string }) => r.id);

    /** Holds the user row (FOR UPDATE) until `commit`, which first runs `sql` in the same transaction. */
    async function holdUserRow(userId: string): Promise<{ commit: (sql?: string) => Promise<void> }> {
      const runner = service.dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      await runner.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId]);
      return {
        commit: async (sql?: string) => {
          try {
            if (sql) await runner.query(sql, [userId]);
            await runner.commitTransaction();
          } finally {
            await runner.release();
          }
        },
      };
    }

    /** Until `count` backends of this database wait on a lock (the logins reached their transaction). */
    async function waitForBlocked(count: number): Promise<void> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [{ n }] = await service.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (n >= count) return;
        if (Date.now() > deadline) throw new Error(`only ${n} of ${count} logins are waiting on the user row`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    pgIt('(needs TEST_DATABASE_URL) a login that checked the old password before a password change committed gets no session', async () => {
      const owner = await newSession(url, 'race-password');
      const held = await holdUserRow(owner.user.id);
      const pending = post(url, '/api/auth/login', { email: owner.email, password: STRONG_PASSWORD });
      await waitForBlocked(1);
      // What POST /api/auth/password commits: the new hash, and every other session revoked.
      await held.commit(`WITH changed AS (UPDATE users SET password_hash = 'changed meanwhile' WHERE id = $1) UPDATE sessions SET revoked_at = now(), revoked_reason = 'password_changed' WHERE user_id = $1 AND revoked_at IS NULL`);
      const res = await pending;
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_credentials' });
      expect(await liveSessions(owner.user.id)).toEqual([]);
    });

    pgIt('(needs TEST_DATABASE_URL) a login racing a disable gets no session', async () => {
      const user = await newSession(url, 'race-disable');
      const held = await holdUserRow(user.user.id);
      const pending = post(url, '/api/auth/login', { email: user.email, password: STRONG_PASSWORD });
      await waitForBlocked(1);
      await held.commit(`WITH disabled AS (UPDATE users SET disabled_at = now() WHERE id = $1) UPDATE sessions SET revoked_at = now(), revoked_reason = 'account_disabled' WHERE user_id = $1 AND revoked_at IS NULL`);
      expect((await pending).status).toBe(401);
      expect(await liveSessions(user.user.id)).toEqual([]);
    });

    pgIt('(needs TEST_DATABASE_URL) a login whose hash was rehashed meanwhile (same password) still signs in', async () => {
      const owner = await newSession(url, 'race-rehash');
      const held = await holdUserRow(owner.user.id);
      const pending = post(url, '/api/auth/login', { email: owner.email, password: STRONG_PASSWORD });
      await waitForBlocked(1);
      // What a concurrent login's rehash commits: another hash of the same password.
      const rehashed = await argon2.hash(STRONG_PASSWORD.normalize('NFKC'), { type: argon2.argon2id, memoryCost: 2048, timeCost: 1, parallelism: 1 });
      await held.commit(`UPDATE users SET password_hash = '${rehashed}' WHERE id = $1`);
      const res = await pending;
      expect(res.status).toBe(200);
      await expectLive(url, res.body as unknown as TokenPair);
    });

    pgIt('(needs TEST_DATABASE_URL) of two password changes at once, only the first succeeds; the second is 400', async () => {
      const owner = await newSession(url, 'race-two-changes');
      const other = await login(url, owner.email);
      const held = await holdUserRow(owner.user.id);
      const changes = [owner, other].map((pair, i) =>
        post(url, '/api/auth/password', { current_password: STRONG_PASSWORD, new_password: `the new passphrase number ${i} 42` }, pair.access_token),
      );
      await waitForBlocked(2);
      await held.commit();
      const results = await Promise.all(changes);
      expect(results.map((r) => r.status).sort()).toEqual([204, 400]);
      const loser = results.find((r) => r.status === 400)!;
      expect(loser.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'current_password', message: expect.any(String) }] });
      // The winner's session survives, the loser's was revoked by the winner's change.
      const [winner, revoked] = results[0].status === 204 ? [owner, other] : [other, owner];
      expect(await liveSessions(owner.user.id)).toEqual([sidOf(winner)]);
      await expectRevoked(url, revoked);
    });

    pgIt('(needs TEST_DATABASE_URL) a password change whose hash was rehashed meanwhile (same password) still goes ahead', async () => {
      const owner = await newSession(url, 'race-change-rehash');
      const other = await login(url, owner.email);
      const held = await holdUserRow(owner.user.id);
      const pending = post(url, '/api/auth/password', { current_password: STRONG_PASSWORD, new_password: 'a changed passphrase after rehash 7' }, owner.access_token);
      await waitForBlocked(1);
      const rehashed = await argon2.hash(STRONG_PASSWORD.normalize('NFKC'), { type: argon2.argon2id, memoryCost: 2048, timeCost: 1, parallelism: 1 });
      await held.commit(`UPDATE users SET password_hash = '${rehashed}' WHERE id = $1`);
      expect((await pending).status).toBe(204);
      expect(await liveSessions(owner.user.id)).toEqual([sidOf(owner)]);
      await expectRevoked(url, other);
      expect((await post(url, '/api/auth/login', { email: owner.email, password: 'a changed passphrase after rehash 7' })).status).toBe(200);
    });

    pgIt('(needs TEST_DATABASE_URL) keeps the 100-session cap when logins of one user run at once', async () => {
      const first = await newSession(url, 'race-cap');
      for (let i = 0; i < 99; i++) await login(url, first.email);
      const held = await holdUserRow(first.user.id);
      const pending = Array.from({ length: 8 }, () => post(url, '/api/auth/login', { email: first.email, password: STRONG_PASSWORD }));
      await waitForBlocked(8);
      await held.commit();
      expect((await Promise.all(pending)).map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(await liveSessions(first.user.id)).toHaveLength(100);
    });

    it('a password change and logins with the old password, at once over HTTP: no login session survives', async () => {
      const owner = await newSession(url, 'race-password-http');
      const logins = Array.from({ length: 6 }, () => post(url, '/api/auth/login', { email: owner.email, password: STRONG_PASSWORD }));
      const changed = post(url, '/api/auth/password', { current_password: STRONG_PASSWORD, new_password: 'a fresh passphrase for the race 42' }, owner.access_token);
      const [change, ...results] = await Promise.all([changed, ...logins]);
      expect(change.status).toBe(204);
      for (const res of results) expect([200, 401]).toContain(res.status);
      expect(await liveSessions(owner.user.id)).toEqual([sidOf(owner)]);
    });
  });

  describe('roles and status are re-read at refresh', () => {
    it('a role change shows in the next refreshed access token', async () => {
      const s = await newSession(url);
      expect(claimsOf(s.access_token).roles).toEqual(['user']);
      await service.dataSource.query(`UPDATE users SET roles = '{user,editor}' WHERE id = $1`, [s.user.id]);
      const res = await refresh(url, s.refresh_token);
      expect(res.status).toBe(200);
      expect(claimsOf(res.body.access_token).roles).toEqual(['user', 'editor']);
      expect(res.body.user.roles).toEqual(['user', 'editor']);
    });

    it('a disabled account: refresh is 401 revoked and the existing access token is refused', async () => {
      const s = await newSession(url);
      await service.dataSource.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [s.user.id]);
      const res = await refresh(url, s.refresh_token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'invalid_grant', reason: 'revoked', message: expect.any(String), request_id: expect.any(String) });
      expect((await me(url, s.access_token)).status).toBe(401);
      const [row] = await service.dataSource.query(`SELECT revoked_at, revoked_reason FROM sessions WHERE id = $1`, [sidOf(s)]);
      expect(row).toEqual({ revoked_at: expect.any(Date), revoked_reason: 'account_disabled' });
      // Decided under the rotation's lock: no successor was stored for a disabled account.
      const tokens = await service.dataSource.query(`SELECT used_at FROM refresh_tokens WHERE session_id = $1`, [sidOf(s)]);
      expect(tokens).toEqual([{ used_at: null }]);
    });
  });

  it('caps a user at 100 live sessions: the 101st login revokes the least recently used', async () => {
    const first = await newSession(url, 'cap');
    let last: TokenPair = first;
    for (let i = 0; i < 100; i++) last = await login(url, first.email);
    const list = await call<{ items: { id: string; current: boolean }[] }>(url, 'GET', '/api/auth/sessions', { token: last.access_token });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(100);
    const ids = list.body.items.map((i) => i.id);
    expect(ids).not.toContain(sidOf(first));
    expect(list.body.items.find((i) => i.current)?.id).toBe(sidOf(last));
    await expectRevoked(url, first);
  });

  it('counts only live sessions toward the cap: sessions that idled out are not counted, and no live one is evicted for them', async () => {
    const first = await newSession(url, 'cap-idle');
    const pairs: TokenPair[] = [first];
    for (let i = 0; i < 99; i++) pairs.push(await login(url, first.email));
    const idled = pairs.slice(50, 60).map(sidOf);
    await service.dataSource.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = ANY($1::uuid[])`, [idled]);
    await login(url, first.email); // 91 live sessions now
    const [{ n }] = await service.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_reason = 'session_limit'`, [first.user.id]);
    expect(n).toBe(0);
    await expectLive(url, first); // the least recently used live session
  });

  describe('housekeeping', () => {
    const ago = (interval: string) => `now() - interval '${interval}'`;

    it('purges tokens a day past their end and sessions ended a day ago, and keeps live ones', async () => {
      // s[0] live, s[1] ended 2 days ago, s[2] revoked 2 days ago, s[3] revoked an hour ago, s[4] ended an hour ago, s[5] rotated.
      const email = await registerUser(url, 'hk');
      const s: TokenPair[] = [];
      for (let i = 0; i < 6; i++) s.push(await login(url, email));
      const q = (sql: string, ...params: unknown[]) => service.dataSource.query(sql, params);
      await q(`UPDATE sessions SET expires_at = ${ago('2 days')} WHERE id = $1`, sidOf(s[1]));
      await q(`UPDATE sessions SET revoked_at = ${ago('2 days')}, revoked_reason = 'logout' WHERE id = $1`, sidOf(s[2]));
      await q(`UPDATE sessions SET revoked_at = ${ago('1 hour')}, revoked_reason = 'logout' WHERE id = $1`, sidOf(s[3]));
      await q(`UPDATE sessions SET expires_at = ${ago('1 hour')} WHERE id = $1`, sidOf(s[4]));
      // s[5]: its first token was used and is a day past its idle end; its successor is live.
      const successor = (await refresh(url, s[5].refresh_token)).body;
      await q(`UPDATE refresh_tokens SET expires_at = ${ago('2 days')} WHERE session_id = $1 AND used_at IS NOT NULL`, sidOf(s[5]));
      // s[0]: a token expired less than a day ago stays (the session itself is live).
      await q(`UPDATE refresh_tokens SET expires_at = ${ago('1 hour')} WHERE session_id = $1`, sidOf(s[0]));

      const result = await service.app.get(SessionsHousekeeping).runOnce();
      // Only this test's rows are old enough: one used token, two ended sessions (their tokens go by cascade).
      expect(result).toEqual({ tokens: 1, sessions: 2 });

      const sessionIds = s.map(sidOf);
      const sessions: { id: string }[] = await q(`SELECT id FROM sessions WHERE id = ANY($1::uuid[])`, sessionIds);
      expect(sessions.map((r) => r.id).sort()).toEqual([sessionIds[0], sessionIds[3], sessionIds[4], sessionIds[5]].sort());
      const tokens: { session_id: string; n: string }[] = await q(
        `SELECT session_id, count(*)::text AS n FROM refresh_tokens WHERE session_id = ANY($1::uuid[]) GROUP BY session_id`,
        sessionIds,
      );
      const perSession = Object.fromEntries(tokens.map((r) => [r.session_id, Number(r.n)]));
      expect(perSession).toEqual({ [sessionIds[0]]: 1, [sessionIds[3]]: 1, [sessionIds[4]]: 1, [sessionIds[5]]: 1 });
      await expectLive(url, successor);
    });
  });
});

describe('revocation across instances on one database', () => {
  const withRedis = Boolean(process.env.TEST_REDIS_URL) && usingPostgres();

  /** Polls B's /me until it refuses the token, for at most one second. */
  async function refusedWithinOneSecond(url: string, token: string): Promise<number> {
    const deadline = Date.now() + 1000;
    let status = (await me(url, token)).status;
    while (status !== 401 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await me(url, token)).status;
    }
    return status;
  }

  (withRedis ? it : it.skip)('(needs TEST_DATABASE_URL and TEST_REDIS_URL) a logout on A is refused on B within one second, through Redis', async () => {
    const a = await startAuthService({ REDIS_URL: process.env.TEST_REDIS_URL as string, ...NO_LIMITS });
    const b = await startAuthService({ REDIS_URL: process.env.TEST_REDIS_URL as string, ...NO_LIMITS }, a.database);
    try {
      const s = await newSession(a.url);
      expect((await me(b.url, s.access_token)).status).toBe(200);
      expect((await post(a.url, '/api/auth/logout', { refresh_token: s.refresh_token })).status).toBe(204);
      expect(await refusedWithinOneSecond(b.url, s.access_token)).toBe(401);
      expect((await refresh(b.url, s.refresh_token)).body.reason).toBe('revoked');
    } finally {
      await b.stop();
      await a.close();
    }
  });

  (withRedis ? it : it.skip)('(needs TEST_DATABASE_URL and TEST_REDIS_URL) a revocation on an instance that cannot reach Redis still reaches the others within one second', async () => {
    const a = await startAuthService({ REDIS_URL: 'redis://127.0.0.1:1', ...NO_LIMITS });
    const b = await startAuthService({ REDIS_URL: process.env.TEST_REDIS_URL as string, ...NO_LIMITS }, a.database);
    try {
      for (const end of ['logout', 'reuse'] as const) {
        const s = await newSession(b.url);
        expect((await me(b.url, s.access_token)).status).toBe(200);
        if (end === 'logout') expect((await post(a.url, '/api/auth/logout', { refresh_token: s.refresh_token })).status).toBe(204);
        else {
          expect((await refresh(a.url, s.refresh_token)).status).toBe(200);
          // Inside the default grace the parent answers its unused successor again; once that is used, the parent is reuse.
          const next = await refresh(a.url, s.refresh_token);
          expect(next.status).toBe(200);
          expect((await refresh(a.url, next.body.refresh_token)).status).toBe(200);
          expect((await refresh(a.url, s.refresh_token)).body.reason).toBe('reused');
        }
        expect(await refusedWithinOneSecond(b.url, s.access_token)).toBe(401);
      }
    } finally {
      await b.stop();
      await a.close();
    }
  });

  (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) without Redis, instances learn each other’s revocations from PostgreSQL within one second', async () => {
    const a = await startAuthService({ ...NO_LIMITS });
    const b = await startAuthService({ ...NO_LIMITS }, a.database);
    try {
      const s = await newSession(a.url);
      expect((await me(b.url, s.access_token)).status).toBe(200);
      expect((await post(a.url, '/api/auth/logout', { refresh_token: s.refresh_token })).status).toBe(204);
      expect(await refusedWithinOneSecond(b.url, s.access_token)).toBe(401);
      expect((await me(a.url, s.access_token)).status).toBe(401);
    } finally {
      await b.stop();
      await a.close();
    }
  });

  (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) a lost revocation listener reconnects, and what was revoked meanwhile is not missed', async () => {
    const a = await startAuthService({ ...NO_LIMITS });
    const b = await startAuthService({ ...NO_LIMITS }, a.database);
    const listeners = async (): Promise<number> =>
      (await a.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tessera-revocations'`))[0].n;
    try {
      const [during, after] = [await newSession(a.url), await newSession(a.url)];
      expect(await listeners()).toBe(2);
      await a.dataSource.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tessera-revocations'`);
      // Revoked while the listeners are down: B learns it from the reload after reconnecting.
      expect((await post(a.url, '/api/auth/logout', { refresh_token: during.refresh_token })).status).toBe(204);
      expect(await refusedWithinOneSecond(b.url, during.access_token)).toBe(401);
      const deadline = Date.now() + 5000;
      while ((await listeners()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await listeners()).toBe(2);
      // And through NOTIFY again once they are back.
      expect((await post(a.url, '/api/auth/logout', { refresh_token: after.refresh_token })).status).toBe(204);
      expect(await refusedWithinOneSecond(b.url, after.access_token)).toBe(401);
    } finally {
      await b.stop();
      await a.close();
    }
  });

  (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) with Redis unreachable, B falls back to the database and refuses the token; never a 500', async () => {
    const unreachable = { REDIS_URL: 'redis://127.0.0.1:1', ...NO_LIMITS };
    const a = await startAuthService(unreachable);
    const b = await startAuthService(unreachable, a.database);
    try {
      const statuses: number[] = [];
      const track = async <T extends { status: number }>(p: Promise<T>) => {
        const res = await p;
        statuses.push(res.status);
        return res;
      };
      const s = await newSession(a.url);
      expect((await track(me(b.url, s.access_token))).status).toBe(200);
      expect((await track(post(a.url, '/api/auth/logout', { refresh_token: s.refresh_token }))).status).toBe(204);
      expect((await track(me(b.url, s.access_token))).status).toBe(401);
      expect((await track(me(a.url, s.access_token))).status).toBe(401);
      expect((await track(refresh(b.url, s.refresh_token))).body.reason).toBe('revoked');
      expect(statuses).not.toContain(500);
    } finally {
      await b.stop();
      await a.close();
    }
  });
});
