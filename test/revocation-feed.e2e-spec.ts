/**
 * GET /api/auth/revocations (SPEC §8): a poller that follows next_cursor gets every revocation once,
 * even when the revoking transactions commit out of order (PostgreSQL, two instances).
 */
import { SessionsRepository } from '../apps/auth-service/src/sessions/sessions.repository';
import { RunningService, startAuthService } from './support/auth-service';
import { claimsOf, newSession, TokenPair } from './support/flows';
import { call } from './support/http';
import { usingPostgres } from './support/test-env';

interface Feed {
  items: { sid: string; revoked_at: string }[];
  next_cursor: string;
}
const NO_LIMITS = { RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0' };
const sidOf = (pair: TokenPair) => claimsOf(pair.access_token).sid as string;
const logout = (url: string, pair: TokenPair) => call(url, 'POST', '/api/auth/logout', { json: { refresh_token: pair.refresh_token } });

async function poll(url: string, cursor?: string): Promise<Feed> {
  const res = await call<Feed>(url, 'GET', `/api/auth/revocations${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** A cursor past everything listed so far: the window comes in pages of 500, so follow them to the end. */
async function currentCursor(url: string): Promise<string> {
  let page = await poll(url);
  while (page.items.length === 500) page = await poll(url, page.next_cursor);
  return page.next_cursor;
}

/**
 * Follows next_cursor (alternating between instances when given several) until `expected` sids were
 * seen, then once more: the xmin is cluster-wide, so another client's write transaction in flight
 * may hold a revocation back for a moment. Returns everything seen, repeats included.
 */
async function follow(urls: string[], cursor: string, expected: string[]): Promise<{ seen: string[]; cursor: string }> {
  const seen: string[] = [];
  const deadline = Date.now() + 10_000;
  for (let i = 0; ; i += 1) {
    const page = await poll(urls[i % urls.length], cursor);
    seen.push(...page.items.map((item) => item.sid));
    cursor = page.next_cursor;
    if (expected.every((sid) => seen.includes(sid))) break;
    if (Date.now() > deadline) throw new Error(`feed did not list ${expected.join(', ')} within 10 s; saw ${seen.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (let i = 0; i < 3; i += 1) {
    const page = await poll(urls[i % urls.length], cursor);
    seen.push(...page.items.map((item) => item.sid));
    cursor = page.next_cursor;
  }
  return { seen, cursor };
}

describe('revocation feed (SPEC §8)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService(NO_LIMITS);
  });
  afterAll(() => service?.close());

  it('is public, not cached, and lists a logout once: in the page after it, never again', async () => {
    const first = await call<Feed>(service.url, 'GET', '/api/auth/revocations');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body).toEqual({ items: expect.any(Array), next_cursor: expect.stringMatching(/^[A-Za-z0-9_-]+$/) });

    const start = await currentCursor(service.url);
    const s = await newSession(service.url, 'feed');
    expect((await logout(service.url, s)).status).toBe(204);
    const { seen } = await follow([service.url], start, [sidOf(s)]);
    expect(seen).toEqual([sidOf(s)]);
    const item = (await poll(service.url)).items.find((i) => i.sid === sidOf(s));
    expect(Math.abs(Date.parse(item!.revoked_at) - Date.now())).toBeLessThan(60_000);
  });

  it('lists every session of a logout-all, each once', async () => {
    const start = await currentCursor(service.url);
    const a = await newSession(service.url, 'feedall');
    const { login } = await import('./support/flows');
    const b = await login(service.url, a.email);
    expect((await call(service.url, 'POST', '/api/auth/logout-all', { token: a.access_token })).status).toBe(204);
    const { seen } = await follow([service.url], start, [sidOf(a), sidOf(b)]);
    expect(seen.sort()).toEqual([sidOf(a), sidOf(b)].sort());
  });

  it('pages of 500: one transaction revoking 600 sessions and another revoking 1 come once each, in pages that continue', async () => {
    const s = await newSession(service.url, 'feedmany');
    const userId = s.user.id;
    const start = await currentCursor(service.url);
    // 600 more sessions of the same user, straight into the table (600 logins would only cost time).
    await service.dataSource.query(
      `INSERT INTO sessions (id, user_id, expires_at) SELECT gen_random_uuid(), $1, now() + interval '1 day' FROM generate_series(1, 600)`,
      [userId],
    );
    const all: string[] = (await service.dataSource.query(`SELECT id FROM sessions WHERE user_id = $1 AND id <> $2`, [userId, sidOf(s)])).map((r: { id: string }) => r.id);
    const repository = service.app.get(SessionsRepository);
    expect(await repository.revoke({ ids: all }, 'admin', new Date())).toHaveLength(600); // one transaction, one xid
    expect((await logout(service.url, s)).status).toBe(204);

    const sizes: number[] = [];
    const seen: string[] = [];
    let cursor = start;
    const deadline = Date.now() + 10_000;
    while (seen.length < 601 && Date.now() < deadline) {
      const page = await poll(service.url, cursor);
      if (page.items.length) sizes.push(page.items.length);
      seen.push(...page.items.map((i) => i.sid));
      cursor = page.next_cursor;
    }
    expect(sizes[0]).toBe(500);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(601);
    expect(new Set(seen).size).toBe(601);
    expect(seen.sort()).toEqual([...all, sidOf(s)].sort());
    expect((await poll(service.url, cursor)).items).toEqual([]);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['JSON that is not a position', Buffer.from('{"f":"-1"}').toString('base64url')],
    ['a forged page position', Buffer.from('{"f":"9","u":"5","x":"7","i":"x"}').toString('base64url')],
    ['too long', 'A'.repeat(600)],
  ])('answers 400 validation_failed for a bad cursor: %s', async (_name, cursor) => {
    const res = await call(service.url, 'GET', `/api/auth/revocations?cursor=${encodeURIComponent(cursor)}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed', details: [{ field: 'cursor', message: expect.any(String) }] });
  });

  it('answers 400 for an unknown query parameter or a repeated cursor', async () => {
    for (const query of ['since=1', 'cursor=a&cursor=b']) {
      const res = await call(service.url, 'GET', `/api/auth/revocations?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
    }
  });

  (usingPostgres() ? it : it.skip)(
    '(needs TEST_DATABASE_URL) two instances: a revocation whose transaction commits after a later one is neither skipped nor repeated',
    async () => {
      const other = await startAuthService(NO_LIMITS, service.database);
      try {
        const early = await newSession(service.url, 'feedrace');
        const late = await newSession(service.url, 'feedrace');
        const start = await currentCursor(service.url);

        // Instance A revokes `early` in a transaction it holds open...
        const runner = service.dataSource.createQueryRunner();
        await runner.connect();
        await runner.startTransaction();
        const revokedAt = new Date();
        expect(await service.app.get(SessionsRepository).revoke({ ids: [sidOf(early)] }, 'admin', revokedAt, runner.manager)).toEqual([sidOf(early)]);
        // ...while instance B revokes `late`, later in time, and commits first.
        expect((await logout(other.url, late)).status).toBe(204);

        const seen: string[] = [];
        let cursor = start;
        for (const instance of [service, other]) {
          const page = await poll(instance.url, cursor);
          seen.push(...page.items.map((i) => i.sid));
          cursor = page.next_cursor;
        }
        // Nothing yet: handing out `late` now would move the cursor past `early`, which can still commit.
        expect(seen).toEqual([]);

        await runner.commitTransaction();
        await runner.release();
        const after = await follow([other.url, service.url], cursor, [sidOf(early), sidOf(late)]);
        expect([...seen, ...after.seen].sort()).toEqual([sidOf(early), sidOf(late)].sort());
      } finally {
        await other.stop();
      }
    },
  );

  (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) a rolled-back revocation never shows, and does not hold the cursor back', async () => {
    const s = await newSession(service.url, 'feedrollback');
    const start = await currentCursor(service.url);
    const runner = service.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await service.app.get(SessionsRepository).revoke({ ids: [sidOf(s)] }, 'admin', new Date(), runner.manager);
    await runner.rollbackTransaction();
    await runner.release();
    const page = await poll(service.url, start);
    expect(page.items).toEqual([]);
    expect((await logout(service.url, s)).status).toBe(204);
    expect((await follow([service.url], page.next_cursor, [sidOf(s)])).seen).toEqual([sidOf(s)]);
  });
});
