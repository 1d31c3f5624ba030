import type { SecurityLogItem as LogItem } from '../apps/auth-service/src/admin/security-logs.service';
import { ChainSealer } from '../apps/auth-service/src/security-log/chain-sealer.service';
import { SecurityLogRetention } from '../apps/auth-service/src/security-log/retention.service';
import { rowMac } from '../apps/auth-service/src/security-log/chain';
import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { RunningService, startAuthService } from './support/auth-service';
import { NO_RATE_LIMITS, usingPostgres } from './support/test-env';
import { claimsOf, login, newSession, refresh, TokenPair } from './support/flows';
import { call, STRONG_PASSWORD, uniqueEmail } from './support/http';

const ADMIN = { BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };


async function adminToken(service: RunningService): Promise<string> {
  const res = await call<TokenPair>(service.url, 'POST', '/api/auth/login', { json: { email: ADMIN.BOOTSTRAP_ADMIN_EMAIL, password: ADMIN.BOOTSTRAP_ADMIN_PASSWORD } });
  return res.body.access_token;
}

/** Background-batched events are written within a few hundred ms: flush them now. */
async function settle(service: RunningService): Promise<void> {
  await service.app.get(SecurityLogService).flush();
}

async function events(service: RunningService, token: string, query: string): Promise<LogItem[]> {
  await settle(service);
  const res = await call<{ items: LogItem[] }>(service.url, 'GET', `/api/admin/security-logs?limit=500&${query}`, { token });
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('security log (SPEC §5)', () => {
  let service: RunningService;
  let admin: string;
  beforeAll(async () => {
    service = await startAuthService({ ...ADMIN, ...NO_RATE_LIMITS, REFRESH_REUSE_GRACE: '0' });
    admin = await adminToken(service);
  });
  afterAll(() => service?.close());

  it('records each flow with its fields, one event per fact, and never a secret', async () => {
    const ua = { 'user-agent': 'flow-test/1.0' };
    const email = uniqueEmail('flows');
    const reg = await call<{ user: { id: string } }>(service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD }, headers: ua });
    const userId = reg.body.user.id;
    const first = await login(service.url, email, 'flow-test/1.0');
    const sid = claimsOf(first.access_token).sid as string;
    await call(service.url, 'POST', '/api/auth/login', { json: { email, password: 'wrong password 42' }, headers: ua });
    const ghost = uniqueEmail('ghost');
    await call(service.url, 'POST', '/api/auth/login', { json: { email: ghost, password: 'wrong password 42' }, headers: ua });
    const second = (await refresh(service.url, first.refresh_token)).body;
    await refresh(service.url, 'rt_not_a_token');
    const reuse = await refresh(service.url, first.refresh_token); // strict: reuse, session revoked
    expect(reuse.body.reason).toBe('reused');
    const other = await login(service.url, email);
    await call(service.url, 'POST', '/api/auth/logout', { json: { refresh_token: other.refresh_token } });
    const third = await login(service.url, email);
    const fourth = await login(service.url, email);
    await call(service.url, 'DELETE', `/api/auth/sessions/${claimsOf(fourth.access_token).sid}`, { token: third.access_token });
    const fifth = await login(service.url, email);
    await call(service.url, 'POST', '/api/auth/revoke', { json: { token: fifth.refresh_token } });
    await call(service.url, 'POST', '/api/auth/password', { token: third.access_token, json: { current_password: STRONG_PASSWORD, new_password: 'a brand new passphrase 9' } });
    await call(service.url, 'POST', '/api/auth/logout-all', { token: third.access_token });

    const rows = (await events(service, admin, `user_id=${userId}`)).reverse();
    const byType = (type: string) => rows.filter((r) => r.event_type === type);
    expect(byType('user_registered')).toEqual([
      expect.objectContaining({ user_id: userId, identifier: email, ip: '127.0.0.1', user_agent: 'flow-test/1.0', request_id: expect.any(String) }),
    ]);
    expect(byType('login_success')[0]).toMatchObject({ user_id: userId, identifier: email, session_id: sid, user_agent: 'flow-test/1.0' });
    expect(byType('login_failure')).toEqual([expect.objectContaining({ identifier: email, details: { reason: 'bad_password' } })]);
    expect(byType('token_refreshed')).toEqual([expect.objectContaining({ session_id: sid })]);
    expect(byType('refresh_token_reuse_detected')).toEqual([expect.objectContaining({ session_id: sid })]);
    // One event per fact: the reuse is not also a refresh_failed.
    expect(byType('refresh_failed').filter((r) => r.session_id === sid)).toEqual([]);
    expect(byType('logout')).toEqual([expect.objectContaining({ session_id: claimsOf(other.access_token).sid })]);
    expect(byType('session_revoked').map((r) => r.details.via).sort()).toEqual(['revocation_endpoint', 'sessions_endpoint']);
    expect(byType('password_changed')).toEqual([expect.objectContaining({ session_id: claimsOf(third.access_token).sid, details: { revoked_sessions: expect.any(Number) } })]);
    expect(byType('logout_all')).toHaveLength(1);

    const unknown = await events(service, admin, `identifier=${encodeURIComponent(ghost)}`);
    expect(unknown).toEqual([expect.objectContaining({ event_type: 'login_failure', user_id: null, details: { reason: 'unknown_user' } })]);
    const failed = await events(service, admin, 'event_type=refresh_failed');
    expect(failed.some((r) => r.details.reason === 'unknown')).toBe(true);
    expect((await events(service, admin, 'event_type=signing_key_rotated'))[0].details).toMatchObject({ reason: 'first_key', alg: 'RS256' });

    // Nothing secret anywhere in the table: no password, token, or token hash.
    const dump = JSON.stringify(await service.dataSource.query(`SELECT * FROM security_logs`));
    const secrets = [STRONG_PASSWORD, 'wrong password 42', 'a brand new passphrase 9', ADMIN.BOOTSTRAP_ADMIN_PASSWORD];
    for (const pair of [first, second, other, third, fourth, fifth]) secrets.push(pair.access_token, pair.refresh_token, pair.refresh_token.slice(3));
    for (const secret of secrets) expect(dump).not.toContain(secret);
    const { createHash } = await import('node:crypto');
    for (const pair of [first, second, other]) expect(dump).not.toContain(createHash('sha256').update(pair.refresh_token).digest('hex'));
  });

  it('gives every event the request id, address and user agent of the request it came from', async () => {
    // Each request has its own user agent; the row it caused must carry that request's X-Request-Id.
    const sent = new Map<string, string>(); // user agent → request id answered
    let n = 0;
    const send = async <T = Record<string, unknown>>(method: string, path: string, options: Parameters<typeof call>[3] = {}) => {
      const userAgent = `context-test/${process.pid}/${++n}`;
      const res = await call<T>(service.url, method, path, { ...options, headers: { ...options.headers, 'user-agent': userAgent } });
      sent.set(userAgent, res.headers.get('x-request-id') as string);
      return res;
    };
    const email = uniqueEmail('context');
    const reg = await send<{ user: { id: string } }>('POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
    await send('POST', '/api/auth/login', { json: { email, password: 'wrong password 42' } }); // buffered
    const a = (await send<TokenPair>('POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } })).body;
    await send('POST', '/api/auth/refresh', { json: { refresh_token: a.refresh_token } });
    await send('POST', '/api/auth/refresh', { json: { refresh_token: `${a.refresh_token.slice(0, -2)}xx` } }); // buffered refresh_failed
    await send('POST', '/api/auth/refresh', { json: { refresh_token: a.refresh_token } }); // reuse
    const b = await login(service.url, email);
    await send('POST', '/api/auth/logout', { json: { refresh_token: b.refresh_token } });
    const c = await login(service.url, email);
    const d = await login(service.url, email);
    await send('DELETE', `/api/auth/sessions/${claimsOf(d.access_token).sid}`, { token: c.access_token });
    await send('POST', '/api/auth/password', { token: c.access_token, json: { current_password: STRONG_PASSWORD, new_password: 'another passphrase 77' } });
    await send('POST', '/api/auth/logout-all', { token: c.access_token });
    await send('POST', `/api/admin/users/${reg.body.user.id}/disable`, { token: admin });
    await send('GET', `/api/admin/security-logs?user_id=${reg.body.user.id}`, { token: admin }); // buffered admin read

    await settle(service);
    const rows: { event_type: string; ip: string; user_agent: string; request_id: string }[] = await service.dataSource.query(
      `SELECT event_type, ip, user_agent, request_id FROM security_logs WHERE user_agent LIKE $1`,
      [`context-test/${process.pid}/%`],
    );
    expect(rows.map((r) => r.event_type).sort()).toEqual(
      ['admin_action', 'admin_action', 'login_failure', 'login_success', 'logout', 'logout_all', 'password_changed', 'refresh_failed', 'refresh_token_reuse_detected', 'session_revoked', 'token_refreshed', 'user_registered'].sort(),
    );
    for (const row of rows) {
      expect({ type: row.event_type, request_id: row.request_id, ip: row.ip }).toEqual({ type: row.event_type, request_id: sent.get(row.user_agent), ip: '127.0.0.1' });
    }
    // Events with no request behind them carry none.
    const [key] = await service.dataSource.query(`SELECT ip, user_agent, request_id FROM security_logs WHERE event_type = 'signing_key_rotated' LIMIT 1`);
    expect(key).toEqual({ ip: null, user_agent: null, request_id: null });
  });

  it('records events whose input holds NUL or broken Unicode, and such an event never holds back the others', async () => {
    const marker = `poison-${process.pid}-${Date.now()}`;
    const odd = [`${marker}\u0000x@example.com`, `${marker}\udc00y@example.com`];
    for (const email of odd) {
      const res = await call(service.url, 'POST', '/api/auth/login', { json: { email, password: 'wrong password 42' } });
      expect(res.status).toBe(401);
    }
    const after = uniqueEmail(marker);
    expect((await call(service.url, 'POST', '/api/auth/login', { json: { email: after, password: 'wrong password 42' } })).status).toBe(401);
    await settle(service);
    const rows: { identifier: string }[] = await service.dataSource.query(
      `SELECT identifier FROM security_logs WHERE event_type = 'login_failure' AND identifier LIKE $1 ORDER BY id`,
      [`${marker}%`],
    );
    expect(rows.map((r) => r.identifier)).toEqual([`${marker}\uFFFDx@example.com`, `${marker}\uFFFDy@example.com`, after]);
    // Searching for such input is refused, not a database error.
    for (const path of ['/api/admin/security-logs?identifier=%00', '/api/admin/security-logs/export?identifier=a%00', '/api/admin/users?email=%00']) {
      const res = await call(service.url, 'GET', path, { token: admin });
      expect({ path, status: res.status, error: res.body.error }).toEqual({ path, status: 400, error: 'validation_failed' });
    }
    // And the chain still verifies over them.
    expect((await call<{ ok: boolean }>(service.url, 'GET', '/api/admin/security-logs/verify', { token: admin })).body.ok).toBe(true);
  });

  it('keeps an admin: no self-disable in any spelling of the id, no removing the last admin role; a removed role ends the sessions at once', async () => {
    const adminId = claimsOf(admin).sub as string;
    for (const id of [adminId, adminId.toUpperCase()]) {
      const res = await call(service.url, 'POST', `/api/admin/users/${id}/disable`, { token: admin });
      expect({ id, status: res.status }).toEqual({ id, status: 400 });
    }
    const alone = await call(service.url, 'PUT', `/api/admin/users/${adminId}/roles`, { token: admin, json: { roles: ['user'] } });
    expect(alone.status).toBe(400);
    expect(alone.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'roles', message: expect.stringContaining('last enabled admin') }] });

    // A second admin, demoted: the token that still says admin is refused at once (it could re-promote itself).
    const other = await newSession(service.url, 'second-admin');
    expect((await call(service.url, 'PUT', `/api/admin/users/${other.user.id}/roles`, { token: admin, json: { roles: ['user', 'admin'] } })).status).toBe(200);
    const promoted = (await refresh(service.url, other.refresh_token)).body;
    expect(claimsOf(promoted.access_token).roles).toEqual(['user', 'admin']);
    expect((await call(service.url, 'PUT', `/api/admin/users/${other.user.id}/roles`, { token: admin, json: { roles: ['user'] } })).status).toBe(200);
    const comeback = await call(service.url, 'PUT', `/api/admin/users/${other.user.id}/roles`, { token: promoted.access_token, json: { roles: ['user', 'admin'] } });
    expect(comeback.status).toBe(401);
    expect((await refresh(service.url, promoted.refresh_token)).body.reason).toBe('revoked');
    // Adding a role ends nothing.
    const third = await newSession(service.url, 'added-role');
    expect((await call(service.url, 'PUT', `/api/admin/users/${third.user.id}/roles`, { token: admin, json: { roles: ['user', 'editor'] } })).status).toBe(200);
    expect((await call(service.url, 'GET', '/api/auth/me', { token: third.access_token })).status).toBe(200);
  });

  it('refuses filters and cursors that the database could not take with 400, never 500', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const paths = [
      '/api/admin/security-logs?from=2020-W01',
      '/api/admin/security-logs?to=20200101',
      '/api/admin/security-logs?from=2020-100',
      '/api/admin/security-logs/export?from=2020-01-01T00:00:00,5Z',
      `/api/admin/security-logs?cursor=${b64({ t: '2030-01-01T00:00:00Z', id: '9999999999999999999' })}`,
      `/api/admin/security-logs?cursor=${b64({ t: '-004714-01-01T00:00:00Z', id: '1' })}`,
      `/api/admin/users?cursor=${b64({ t: '-271821-04-20T00:00:00Z', id: '00000000-0000-0000-0000-000000000000' })}`,
      '/api/admin/users?constructor=1',
    ];
    for (const path of paths) {
      const res = await call(service.url, 'GET', path, { token: admin });
      expect({ path, status: res.status, error: res.body.error }).toEqual({ path, status: 400, error: 'validation_failed' });
    }
  });

  it('records admin reads of the log as admin_action with the actor', async () => {
    await call(service.url, 'GET', '/api/admin/security-logs?limit=1', { token: admin });
    const actions = await events(service, admin, 'event_type=admin_action');
    expect(actions[0]).toMatchObject({ details: { action: 'security_logs.read', actor_id: claimsOf(admin).sub } });
  });

  it('refuses non-admins with 403 and anonymous callers with 401', async () => {
    const user = await newSession(service.url);
    const forbidden = await call(service.url, 'GET', '/api/admin/security-logs', { token: user.access_token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: 'forbidden' });
    const anonymous = await call(service.url, 'GET', '/api/admin/security-logs');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    for (const path of ['/api/admin/users', '/api/admin/security-logs/verify', '/api/admin/security-logs/export']) {
      expect((await call(service.url, 'GET', path, { token: user.access_token })).status).toBe(403);
    }
  });

  it.each([
    ['an unknown event_type', 'event_type=nope', 'event_type'],
    ['a user_id that is not a UUID', 'user_id=abc', 'user_id'],
    ['limit 0', 'limit=0', 'limit'],
    ['limit 501', 'limit=501', 'limit'],
    ['a from that is not a date', 'from=yesterday', 'from'],
    ['an ip that is not an address', 'ip=%3Cscript%3E', 'ip'],
    ['a forged cursor', 'cursor=bm9wZQ', 'cursor'],
    ['an unknown parameter', 'sort=asc', 'sort'],
  ])('answers %s with 400 and details', async (_, query, field) => {
    const res = await call(service.url, 'GET', `/api/admin/security-logs?${query}`, { token: admin });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', details: expect.arrayContaining([expect.objectContaining({ field })]) });
  });

  it('filters by repeated event_type, user, identifier, ip and time range', async () => {
    const a = await newSession(service.url, 'filter');
    await call(service.url, 'POST', '/api/auth/login', { json: { email: a.email, password: 'nope nope nope' } });
    const both = await events(service, admin, `user_id=${a.user.id}&event_type=login_success&event_type=login_failure`);
    expect(both.map((r) => r.event_type).sort()).toEqual(['login_failure', 'login_success']);
    expect((await events(service, admin, `identifier=${encodeURIComponent(a.email.toUpperCase())}`)).length).toBe(3);
    expect((await events(service, admin, `ip=127.0.0.1&user_id=${a.user.id}`)).length).toBe(3);
    expect(await events(service, admin, `ip=10.9.9.9&user_id=${a.user.id}`)).toEqual([]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await events(service, admin, `user_id=${a.user.id}&from=${future}`)).toEqual([]);
    expect((await events(service, admin, `user_id=${a.user.id}&to=${future}`)).length).toBe(3);
  });

  it('pages newest first without repeating or skipping a row while new events arrive', async () => {
    const user = await newSession(service.url, 'pager');
    for (let i = 0; i < 60; i++) await call(service.url, 'POST', '/api/auth/login', { json: { email: user.email, password: `wrong ${i} password` } });
    await settle(service);
    const before: { id: string }[] = await service.dataSource.query(`SELECT id FROM security_logs WHERE user_id = $1`, [user.user.id]);
    const seen: string[] = [];
    let cursor: string | null = null;
    let arrivals = 0;
    do {
      const page: { status: number; body: { items: LogItem[]; next_cursor: string | null } } = await call(
        service.url,
        'GET',
        `/api/admin/security-logs?user_id=${user.user.id}&limit=7${cursor ? `&cursor=${cursor}` : ''}`,
        { token: admin },
      );
      expect(page.status).toBe(200);
      const stamps = page.body.items.map((r) => r.created_at);
      expect([...stamps].sort().reverse()).toEqual(stamps);
      seen.push(...page.body.items.map((r) => r.id));
      cursor = page.body.next_cursor;
      // New events arrive between pages.
      await call(service.url, 'POST', '/api/auth/login', { json: { email: user.email, password: `late ${arrivals++} password` } });
      await settle(service);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const { id } of before) expect(seen).toContain(String(id));
  });

  it('exports NDJSON and CSV with the same filters, CSV safe against formula injection', async () => {
    const email = uniqueEmail('export');
    await call(service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD }, headers: { 'user-agent': '=HYPERLINK("http://evil.example","x")' } });
    await settle(service);
    const filter = `identifier=${encodeURIComponent(email)}`;
    const ndjson = await call(service.url, 'GET', `/api/admin/security-logs/export?format=ndjson&${filter}`, { token: admin });
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(ndjson.headers.get('content-disposition')).toBe('attachment; filename="security-logs.ndjson"');
    const lines = ndjson.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ event_type: 'user_registered', identifier: email })]);
    const csv = await call(service.url, 'GET', `/api/admin/security-logs/export?format=csv&${filter}`, { token: admin });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, row] = csv.text.trim().split('\r\n');
    expect(header).toBe('id,created_at,event_type,user_id,identifier,ip,user_agent,session_id,request_id,details');
    expect(row).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(row).not.toMatch(/,=HYPERLINK/);
    const listed = await events(service, admin, '');
    const all = await call(service.url, 'GET', `/api/admin/security-logs/export?format=ndjson`, { token: admin });
    expect(all.text.trim().split('\n').length).toBeGreaterThanOrEqual(listed.length);
    expect((await call(service.url, 'GET', '/api/admin/security-logs/export?format=xml', { token: admin })).status).toBe(400);
  });
});

describe('tamper evidence and retention (SPEC §5)', () => {
  let service: RunningService;
  let admin: string;
  const verify = async () => {
    await service.app.get(SecurityLogService).flush();
    await service.app.get(ChainSealer).sealOnce();
    return (await call<{ ok: boolean; checked: number; first_bad_id?: string }>(service.url, 'GET', '/api/admin/security-logs/verify', { token: admin })).body;
  };
  const someRow = async (offset: number): Promise<string> => {
    const rows = await service.dataSource.query(`SELECT log_id FROM security_log_links ORDER BY seq LIMIT 1 OFFSET $1`, [offset]);
    return String(rows[0].log_id);
  };

  beforeEach(async () => {
    service = await startAuthService({ ...ADMIN, ...NO_RATE_LIMITS });
    admin = await adminToken(service);
    for (let i = 0; i < 5; i++) await newSession(service.url, 'chain');
  });
  afterEach(() => service?.close());

  it('verifies an untouched chain', async () => {
    const result = await verify();
    expect(result).toEqual({ ok: true, checked: expect.any(Number) });
    expect(result.checked).toBeGreaterThan(10);
  });

  it('finds an edited row', async () => {
    await verify();
    const id = await someRow(4);
    await service.dataSource.query(`UPDATE security_logs SET ip = '10.6.6.6' WHERE id = $1`, [id]);
    expect(await verify()).toMatchObject({ ok: false, first_bad_id: id });
  });

  it('finds an edited details object even with the keys reordered', async () => {
    await verify();
    const id = await someRow(2);
    await service.dataSource.query(`UPDATE security_logs SET details = details || '{"reason":"forged"}'::jsonb WHERE id = $1`, [id]);
    expect(await verify()).toMatchObject({ ok: false, first_bad_id: id });
  });

  it('finds a deleted row', async () => {
    await verify();
    const gone = await someRow(3);
    await service.dataSource.query(`DELETE FROM security_logs WHERE id = $1`, [gone]);
    expect(await verify()).toMatchObject({ ok: false, first_bad_id: gone });
  });

  it('finds a deleted row deleted with its link', async () => {
    await verify();
    const gone = await someRow(3);
    const next = await someRow(4);
    await service.dataSource.query(`DELETE FROM security_log_links WHERE log_id = $1`, [gone]);
    await service.dataSource.query(`DELETE FROM security_logs WHERE id = $1`, [gone]);
    expect(await verify()).toMatchObject({ ok: false, first_bad_id: next });
  });

  it('finds two rows whose links were swapped', async () => {
    await verify();
    const [a, b] = [await someRow(2), await someRow(3)];
    // Through -1, as security_log_links_log_id_key allows one link per row at every moment.
    await service.dataSource.query(`UPDATE security_log_links SET log_id = -1 WHERE log_id = $1`, [a]);
    await service.dataSource.query(`UPDATE security_log_links SET log_id = $1 WHERE log_id = $2`, [a, b]);
    await service.dataSource.query(`UPDATE security_log_links SET log_id = $1 WHERE log_id = -1`, [b]);
    expect(await verify()).toMatchObject({ ok: false, first_bad_id: b });
  });

  it('finds a row whose link was deleted (the row then unsealed, its MAC intact)', async () => {
    await verify();
    const seqs = await service.dataSource.query(`SELECT max(seq)::text AS head FROM security_log_links`);
    // The newest link gone: the row reads as unsealed, and this instance had sealed further.
    await service.dataSource.query(`DELETE FROM security_log_links WHERE seq = $1`, [seqs[0].head]);
    expect((await verify()).ok).toBe(false);
  });

  it('finds an inserted row, sealed or not', async () => {
    await verify();
    const [row] = await service.dataSource.query(
      `INSERT INTO security_logs (event_type, identifier, details, created_at, mac) VALUES ('login_success', 'forged@example.com', '{}', now(), '\\x00') RETURNING id`,
    );
    expect(await verify()).toMatchObject({ ok: false, first_bad_id: String(row.id) });
  });

  it('finds a deleted tail that this instance had sealed', async () => {
    await verify();
    await service.dataSource.query(
      `WITH tail AS (DELETE FROM security_log_links WHERE seq = (SELECT max(seq) FROM security_log_links) RETURNING log_id)
       DELETE FROM security_logs WHERE id IN (SELECT log_id FROM tail)`,
    );
    expect((await verify()).ok).toBe(false);
  });

  (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) seals a row whose transaction drew its id before others but commits after them', async () => {
    await verify();
    const key = service.app.get(SecurityLogService).key;
    const createdAt = new Date();
    const row = { eventType: 'login_success' as const, userId: null, identifier: 'late@example.com', ip: null, userAgent: null, sessionId: null, requestId: null, details: {}, createdAt };
    const late = service.dataSource.createQueryRunner();
    await late.connect();
    let lateId: string;
    try {
      await late.startTransaction();
      [{ id: lateId }] = await late.query(
        `INSERT INTO security_logs (event_type, identifier, details, created_at, mac) VALUES ($1, $2, '{}', $3, $4) RETURNING id::text`,
        [row.eventType, row.identifier, createdAt, rowMac(key, row)],
      );
      // Rows with higher ids written and committed meanwhile; the sealer runs while the lower one is not visible yet.
      await newSession(service.url, 'meanwhile');
      await service.app.get(SecurityLogService).flush();
      await service.app.get(ChainSealer).sealOnce();
      await late.commitTransaction();
    } finally {
      await late.release();
    }
    const result = await verify();
    expect(result).toEqual({ ok: true, checked: expect.any(Number) });
    const unsealed = await service.dataSource.query(`SELECT l.id FROM security_logs l WHERE NOT EXISTS (SELECT 1 FROM security_log_links k WHERE k.log_id = l.id)`);
    expect(unsealed).toEqual([]);
    const [{ seq }] = await service.dataSource.query(`SELECT seq::text FROM security_log_links WHERE log_id = $1`, [lateId]);
    expect(Number(seq)).toBeGreaterThan(0);
  });

  it('purges old events from a checkpoint and still verifies what remains', async () => {
    await verify();
    const purged = await service.app.get(SecurityLogRetention).runOnce(new Date(Date.now() + 366 * 86_400_000));
    expect(purged).toBeGreaterThan(10);
    const [{ n }] = await service.dataSource.query(`SELECT count(*)::int AS n FROM security_log_links`);
    expect(n).toBe(0);
    const [{ left }] = await service.dataSource.query(`SELECT count(*)::int AS left FROM security_logs`);
    expect(left).toBeLessThan(purged as number);
    await newSession(service.url, 'after');
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.checked).toBeGreaterThan(0);
    expect(result.checked).toBeLessThan(purged as number);
  });
});

describe('admin users (SPEC §2 administration)', () => {
  let service: RunningService;
  let admin: string;
  beforeAll(async () => {
    service = await startAuthService({ ...ADMIN, ...NO_RATE_LIMITS });
    admin = await adminToken(service);
  });
  afterAll(() => service?.close());

  it('lists by email prefix with keyset pages, and shows one user with sessions', async () => {
    const prefix = `pfx${Date.now().toString(36)}`;
    for (let i = 0; i < 3; i++) await newSession(service.url, `${prefix}.${i}`);
    const page1 = await call<{ items: { email: string }[]; next_cursor: string }>(service.url, 'GET', `/api/admin/users?email=${prefix}&limit=2`, { token: admin });
    expect(page1.body.items).toHaveLength(2);
    const page2 = await call<{ items: { email: string }[]; next_cursor: null }>(service.url, 'GET', `/api/admin/users?email=${prefix}&limit=2&cursor=${page1.body.next_cursor}`, { token: admin });
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.next_cursor).toBeNull();
    expect(new Set([...page1.body.items, ...page2.body.items].map((u) => u.email)).size).toBe(3);
    expect((await call<{ items: unknown[] }>(service.url, 'GET', `/api/admin/users?email=${encodeURIComponent('%')}`, { token: admin })).body.items).toEqual([]);

    const user = await newSession(service.url, 'detail');
    const detail = await call<{ user: Record<string, unknown>; status: string; sessions: unknown[] }>(service.url, 'GET', `/api/admin/users/${user.user.id}`, { token: admin });
    expect(detail.body).toEqual({
      user: { id: user.user.id, email: user.email, name: null, roles: ['user'], created_at: expect.any(String), disabled: false },
      status: 'active',
      sessions: [expect.objectContaining({ id: claimsOf(user.access_token).sid, ip: '127.0.0.1' })],
      lock: { locked: false, locked_until: null, recent_failures: 0, locked_addresses: [] },
    });
    expect(detail.text).not.toMatch(/password|hash/i);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expect((await call(service.url, 'GET', `/api/admin/users/${id}`, { token: admin })).status).toBe(404);
    }
  });

  it('disables (every session revoked, login and refresh refused) and enables', async () => {
    const user = await newSession(service.url, 'disable');
    expect((await call(service.url, 'POST', `/api/admin/users/${user.user.id}/disable`, { token: admin })).status).toBe(204);
    expect((await call(service.url, 'GET', '/api/auth/me', { token: user.access_token })).status).toBe(401);
    expect((await refresh(service.url, user.refresh_token)).body.reason).toBe('revoked');
    expect((await call(service.url, 'POST', '/api/auth/login', { json: { email: user.email, password: STRONG_PASSWORD } })).status).toBe(401);
    expect((await call(service.url, 'POST', `/api/admin/users/${user.user.id}/enable`, { token: admin })).status).toBe(204);
    expect((await call(service.url, 'POST', '/api/auth/login', { json: { email: user.email, password: STRONG_PASSWORD } })).status).toBe(200);
    const actions = await events(service, admin, `user_id=${user.user.id}&event_type=admin_action`);
    expect(actions.map((a) => a.details.action).sort()).toEqual(['user.disable', 'user.enable']);
    expect(actions[0].details.actor_id).toBe(claimsOf(admin).sub);
    expect((await call(service.url, 'POST', `/api/admin/users/${claimsOf(admin).sub}/disable`, { token: admin })).status).toBe(400);
  });

  it('changes roles, effective at the next refresh', async () => {
    const user = await newSession(service.url, 'roles');
    const res = await call<{ user: { roles: string[] } }>(service.url, 'PUT', `/api/admin/users/${user.user.id}/roles`, { token: admin, json: { roles: ['user', 'editor'] } });
    expect(res.status).toBe(200);
    expect(res.body.user.roles).toEqual(['user', 'editor']);
    expect(claimsOf(user.access_token).roles).toEqual(['user']);
    expect(claimsOf((await refresh(service.url, user.refresh_token)).body.access_token).roles).toEqual(['user', 'editor']);
    expect((await call(service.url, 'PUT', `/api/admin/users/${user.user.id}/roles`, { token: admin, json: { roles: ['Admin!'] } })).status).toBe(400);
    expect((await call(service.url, 'PUT', `/api/admin/users/${user.user.id}/roles`, { token: admin, json: { roles: 'admin' } })).status).toBe(400);
  });

  it('revokes every session of a user, recorded as session_revoked via admin', async () => {
    const user = await newSession(service.url, 'revoke');
    const second = await login(service.url, user.email);
    expect((await call(service.url, 'POST', `/api/admin/users/${user.user.id}/revoke-sessions`, { token: admin })).status).toBe(204);
    for (const pair of [user, second]) {
      expect((await refresh(service.url, pair.refresh_token)).body.reason).toBe('revoked');
      expect((await call(service.url, 'GET', '/api/auth/me', { token: pair.access_token })).status).toBe(401);
    }
    const revoked = await events(service, admin, `user_id=${user.user.id}&event_type=session_revoked`);
    expect(revoked).toHaveLength(2);
    for (const r of revoked) expect(r.details).toEqual({ via: 'admin', actor_id: claimsOf(admin).sub });
  });
});
