import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { RunningService, startAuthService } from './support/auth-service';
import { NO_RATE_LIMITS } from './support/test-env';
import { claimsOf, newSession, TokenPair } from './support/flows';
import { call, uniqueEmail } from './support/http';

const ADMIN = { BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };

interface Stats {
  bucket: string;
  from: string;
  to: string;
  items: { start: string; counts: Record<string, number> }[];
}

/** Rows placed in the past at chosen times (their MAC is not checked here: these tests read counts, not the chain). */
async function seed(service: RunningService, rows: { type: string; at: string; ip?: string; details?: Record<string, unknown> }[]): Promise<void> {
  for (const row of rows) {
    await service.dataSource.query(`INSERT INTO security_logs (event_type, ip, details, created_at, mac) VALUES ($1, $2, $3, $4, '\\x00')`, [
      row.type,
      row.ip ?? null,
      JSON.stringify(row.details ?? {}),
      row.at,
    ]);
  }
}

describe('security log stats (GET /api/admin/security-logs/stats, SPEC §2)', () => {
  let service: RunningService;
  let admin: string;
  const stats = async (query: string, token = admin) => call<Stats>(service.url, 'GET', `/api/admin/security-logs/stats?${query}`, { token });

  beforeAll(async () => {
    service = await startAuthService({ ...ADMIN, ...NO_RATE_LIMITS });
    admin = (await call<TokenPair>(service.url, 'POST', '/api/auth/login', { json: { email: ADMIN.BOOTSTRAP_ADMIN_EMAIL, password: ADMIN.BOOTSTRAP_ADMIN_PASSWORD } })).body.access_token;
    await seed(service, [
      { type: 'login_failure', at: '2020-01-01T10:05:00Z', ip: '192.0.2.1', details: { reason: 'bad_password' } },
      { type: 'login_failure', at: '2020-01-01T10:05:30Z', ip: '192.0.2.2', details: { reason: 'bad_password' } },
      { type: 'rate_limited', at: '2020-01-01T10:40:00Z', ip: '192.0.2.1', details: { route: 'login', count: 120 } },
      { type: 'login_failure', at: '2020-01-01T11:10:00Z', ip: '192.0.2.1', details: { reason: 'locked', count: 7 } },
      { type: 'account_locked', at: '2020-01-01T12:00:00Z', ip: '192.0.2.1' },
      { type: 'login_failure', at: '2020-01-01T13:00:00Z', ip: '192.0.2.1' }, // at `to`: excluded
    ]);
  });
  afterAll(() => service?.close());

  it('counts per hour and event type, every bucket of the range listed, an aggregated row counted by its count', async () => {
    const res = await stats('bucket=hour&from=2020-01-01T10:00:00Z&to=2020-01-01T13:00:00Z');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      bucket: 'hour',
      from: '2020-01-01T10:00:00.000Z',
      to: '2020-01-01T13:00:00.000Z',
      items: [
        { start: '2020-01-01T10:00:00.000Z', counts: { login_failure: 2, rate_limited: 120 } },
        { start: '2020-01-01T11:00:00.000Z', counts: { login_failure: 7 } },
        { start: '2020-01-01T12:00:00.000Z', counts: { account_locked: 1 } },
      ],
    });
  });

  it('bins by minute and by day, the first bucket aligned before from', async () => {
    const minutes = await stats('bucket=minute&from=2020-01-01T10:04:30Z&to=2020-01-01T10:41:00Z');
    expect(minutes.status).toBe(200);
    expect(minutes.body.items).toHaveLength(37);
    expect(minutes.body.items[0]).toEqual({ start: '2020-01-01T10:04:00.000Z', counts: {} });
    expect(minutes.body.items[1]).toEqual({ start: '2020-01-01T10:05:00.000Z', counts: { login_failure: 2 } });
    expect(minutes.body.items[36]).toEqual({ start: '2020-01-01T10:40:00.000Z', counts: { rate_limited: 120 } });
    const days = await stats('bucket=day&from=2019-12-31T00:00:00Z&to=2020-01-02T00:00:00Z');
    expect(days.body.items).toEqual([
      { start: '2019-12-31T00:00:00.000Z', counts: {} },
      { start: '2020-01-01T00:00:00.000Z', counts: { login_failure: 10, rate_limited: 120, account_locked: 1 } },
    ]);
  });

  it('applies the list filters: repeated event_type and ip', async () => {
    const range = 'bucket=day&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z';
    expect((await stats(`${range}&event_type=login_failure&event_type=account_locked`)).body.items[0].counts).toEqual({ login_failure: 10, account_locked: 1 });
    expect((await stats(`${range}&ip=192.0.2.2`)).body.items[0].counts).toEqual({ login_failure: 1 });
  });

  it('counts live events in the default window (the last 24 hours by hour), aggregated rows by their count', async () => {
    const user = await newSession(service.url, 'stats');
    const before = (await stats('')).body;
    for (let i = 0; i < 3; i++) await call(service.url, 'POST', '/api/auth/login', { json: { email: user.email, password: `wrong password ${i}!` } });
    const logs = service.app.get(SecurityLogService);
    for (let i = 0; i < 5; i++) logs.enqueueAggregated({ type: 'rate_limited', details: { route: 'login' } }, { requestId: null, ip: '198.51.100.9', userAgent: null });
    await logs.flushAll();
    const after = await stats('');
    expect(after.status).toBe(200);
    expect(after.body.bucket).toBe('hour');
    expect(Date.parse(after.body.to) - Date.parse(after.body.from)).toBe(24 * 3_600_000);
    expect(after.body.items.length).toBeGreaterThanOrEqual(24);
    const total = (body: Stats, type: string) => body.items.reduce((sum, item) => sum + (item.counts[type] ?? 0), 0);
    expect(total(after.body, 'login_failure') - total(before, 'login_failure')).toBe(3);
    expect(total(after.body, 'rate_limited') - total(before, 'rate_limited')).toBe(5);
    const rows: { details: { count: number } }[] = await service.dataSource.query(`SELECT details FROM security_logs WHERE event_type = 'rate_limited' AND ip = '198.51.100.9'`);
    expect(rows).toEqual([{ details: { route: 'login', count: 5 } }]); // one row, counted as 5
  });

  it('records the read as an admin_action with the actor', async () => {
    await stats('bucket=minute');
    await service.app.get(SecurityLogService).flush();
    const rows: { details: Record<string, unknown> }[] = await service.dataSource.query(
      `SELECT details FROM security_logs WHERE event_type = 'admin_action' AND details->>'action' = 'security_logs.stats' ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0]?.details).toEqual({ action: 'security_logs.stats', bucket: 'minute', actor_id: claimsOf(admin).sub });
  });

  it.each([
    ['an unknown bucket', 'bucket=week', 'bucket', /bucket must be one of minute, hour, day/],
    ['more than 1440 buckets', 'bucket=minute&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:01Z', 'bucket', /1441 minute buckets, more than 1440/],
    ['years of hours', 'bucket=hour&from=2000-01-01T00:00:00Z&to=2020-01-01T00:00:00Z', 'bucket', /more than 1440: choose a larger bucket or a shorter range/],
    ['from after to', 'from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z', 'from', /"from" must be before "to"/],
    ['a from in the future alone', `from=${new Date(Date.now() + 86_400_000).toISOString()}`, 'from', /"from" must be before "to"/],
    ['a from that is not a date', 'from=yesterday', 'from', /./],
    ['an unknown event_type', 'event_type=nope', 'event_type', /./],
    ['a paging parameter of the list', 'limit=5', 'limit', /./],
  ])('answers %s with 400 validation_failed', async (_, query, field, message) => {
    const res = await stats(query);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed', details: expect.arrayContaining([expect.objectContaining({ field })]) });
    const body = res.body as unknown as { message: string; details: unknown[] };
    expect(body.message + JSON.stringify(body.details)).toMatch(message);
  });

  it('refuses non-admins with 403 and anonymous callers with 401', async () => {
    const user = await newSession(service.url, uniqueEmail('plain').split('@')[0]);
    const forbidden = await stats('', user.access_token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: 'forbidden' });
    expect((await call(service.url, 'GET', '/api/admin/security-logs/stats')).status).toBe(401);
  });
});
