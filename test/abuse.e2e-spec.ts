import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { RunningService, startAuthService } from './support/auth-service';
import { callFrom, clientAddresses } from './support/client-addresses';
import { TokenPair } from './support/flows';
import { call, JsonResponse, STRONG_PASSWORD, uniqueEmail } from './support/http';
import { usingPostgres } from './support/test-env';
import { TcpProxy } from './support/tcp-proxy';

const ADMIN = { BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };
const WRONG = 'not the password at all';
const withRedis = usingPostgres() && Boolean(process.env.TEST_REDIS_URL);

interface LogRow {
  event_type: string;
  user_id: string | null;
  identifier: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** Every buffered and aggregated event of the service written now (as at shutdown), then the identifier's rows. */
async function rows(service: RunningService, identifier: string, flushed: RunningService[] = [service]): Promise<LogRow[]> {
  for (const s of flushed) await s.app.get(SecurityLogService).flushAll();
  return service.dataSource.query(`SELECT event_type, user_id, identifier, ip, details FROM security_logs WHERE identifier = $1 ORDER BY id`, [identifier]);
}

const ofType = (all: LogRow[], type: string, reason?: string) => all.filter((r) => r.event_type === type && (reason === undefined || r.details.reason === reason));

function login(service: RunningService, from: string, email: string, password: string): Promise<JsonResponse> {
  return callFrom(from, service.url, 'POST', '/api/auth/login', { json: { email, password } });
}

async function register(service: RunningService, email = uniqueEmail('abuse')): Promise<{ email: string; id: string }> {
  const res = await call<{ user: { id: string } }>(service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
  expect(res.status).toBe(201);
  return { email, id: res.body.user.id };
}

function expectLocked(res: JsonResponse): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ statusCode: 429, error: 'account_locked', message: expect.any(String), request_id: expect.any(String) });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
}

describe('lockout (SPEC §6)', () => {
  let service: RunningService;
  let admin: string;
  beforeAll(async () => {
    service = await startAuthService({ ...ADMIN, LOCKOUT_THRESHOLD: '3', LOCKOUT_IDENTIFIER_THRESHOLD: '5', RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REGISTER: '0' });
    const res = await call<TokenPair>(service.url, 'POST', '/api/auth/login', { json: { email: ADMIN.BOOTSTRAP_ADMIN_EMAIL, password: ADMIN.BOOTSTRAP_ADMIN_PASSWORD } });
    admin = res.body.access_token;
  });
  afterAll(() => service?.close());

  it('locks an identifier + address pair after LOCKOUT_THRESHOLD failures, right password or not, and only that pair', async () => {
    const { email, id } = await register(service);
    const [a, b] = clientAddresses(2);
    for (let i = 0; i < 3; i++) expect((await login(service, a, email, WRONG)).status).toBe(401);
    expectLocked(await login(service, a, email, STRONG_PASSWORD));
    expectLocked(await login(service, a, email, WRONG));
    expect(Number((await login(service, a, email, WRONG)).headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await login(service, b, email, STRONG_PASSWORD)).status).toBe(200);
    const all = await rows(service, email);
    expect(ofType(all, 'account_locked')).toEqual([expect.objectContaining({ user_id: id, ip: a, details: { scope: 'address', seconds: 60, lock_number: 1 } })]);
    // rows() wrote the batched lock event, through which the view finds address locks.
    const view = await call<{ lock: { locked: boolean; locked_addresses: { address: string }[] } }>(service.url, 'GET', `/api/admin/users/${id}`, { token: admin });
    expect(view.body.lock).toMatchObject({ locked: false, locked_addresses: [{ address: a, locked_until: expect.any(String) }] });
  });

  it('refuses a locked attempt without checking the password or writing anything, and records it aggregated', async () => {
    const { email, id } = await register(service);
    const [a] = clientAddresses(1);
    for (let i = 0; i < 3; i++) expect((await login(service, a, email, WRONG)).status).toBe(401);
    const sessionsBefore = await service.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1`, [id]);
    for (let i = 0; i < 6; i++) expectLocked(await login(service, a, email, i % 2 ? STRONG_PASSWORD : WRONG));
    const all = await rows(service, email);
    // A password check would have logged bad_password (wrong) or started a session (right): neither happened.
    expect(ofType(all, 'login_failure', 'bad_password')).toHaveLength(3);
    expect(await service.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1`, [id])).toEqual(sessionsBefore);
    // One row per client, identifier and minute (two only when the attempts straddle a minute).
    const locked = ofType(all, 'login_failure', 'locked');
    expect(locked.length).toBeLessThanOrEqual(2);
    expect(locked.every((r) => r.ip === a && r.details.reason === 'locked')).toBe(true);
    expect(locked.reduce((sum, r) => sum + Number(r.details.count), 0)).toBe(6);
    expect(ofType(all, 'account_locked')).toHaveLength(1);
  });

  it('locks unknown identifiers exactly like known ones, with the same answer', async () => {
    const known = (await register(service)).email;
    const unknown = uniqueEmail('nobody');
    const [a] = clientAddresses(1);
    for (const email of [known, unknown]) for (let i = 0; i < 3; i++) expect((await login(service, a, email, WRONG)).status).toBe(401);
    const [x, y] = [await login(service, a, known, WRONG), await login(service, a, unknown, WRONG)];
    expectLocked(x);
    expectLocked(y);
    // The same answer but for the request's own id.
    expect(y.text.replace(y.body.request_id as string, '')).toBe(x.text.replace(x.body.request_id as string, ''));
    expect(ofType(await rows(service, unknown), 'account_locked')).toEqual([expect.objectContaining({ user_id: null, details: { scope: 'address', seconds: 60, lock_number: 1 } })]);
  });

  it('counts email variants (case, surrounding spaces) as one identifier', async () => {
    const { email } = await register(service);
    const [a] = clientAddresses(1);
    for (const variant of [email.toUpperCase(), `  ${email}  `, `\t${email.replace('abuse', 'ABUSE')}`]) expect((await login(service, a, variant, WRONG)).status).toBe(401);
    expectLocked(await login(service, a, email, STRONG_PASSWORD));
  });

  it('locks the identifier across addresses but spares a known address, and an admin unlock clears every lock', async () => {
    const { email, id } = await register(service);
    const [home, elsewhere, ...spray] = clientAddresses(8);
    expect((await login(service, home, email, STRONG_PASSWORD)).status).toBe(200);
    for (const from of spray.slice(0, 5)) expect((await login(service, from, email, WRONG)).status).toBe(401);
    expectLocked(await login(service, elsewhere, email, STRONG_PASSWORD));
    expectLocked(await login(service, spray[5], email, WRONG));
    // The owner's usual address still signs in; its failures still count toward its own pair lock.
    expect((await login(service, home, email, STRONG_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 3; i++) expectLocked(await login(service, spray[0], email, WRONG));
    for (let i = 0; i < 3; i++) expect((await login(service, home, email, WRONG)).status).toBe(401);
    expectLocked(await login(service, home, email, STRONG_PASSWORD));

    await service.app.get(SecurityLogService).flush(); // the view finds address locks through their (batched) events
    const view = await call<{ lock: Record<string, unknown> }>(service.url, 'GET', `/api/admin/users/${id}`, { token: admin });
    expect(view.body.lock).toMatchObject({ locked: true, locked_until: expect.any(String), recent_failures: 5, locked_addresses: [{ address: home, locked_until: expect.any(String) }] });
    expect((await call(service.url, 'POST', `/api/admin/users/${id}/unlock`, { token: admin })).status).toBe(204);
    expect((await login(service, elsewhere, email, STRONG_PASSWORD)).status).toBe(200);
    expect((await login(service, home, email, STRONG_PASSWORD)).status).toBe(200);
    const after = await call<{ lock: Record<string, unknown> }>(service.url, 'GET', `/api/admin/users/${id}`, { token: admin });
    expect(after.body.lock).toEqual({ locked: false, locked_until: null, recent_failures: 0, locked_addresses: [] });

    const all = await rows(service, email);
    expect(ofType(all, 'account_locked').map((r) => r.details.scope)).toEqual(['identifier', 'address']);
    const adminId = (await call<{ user: { id: string } }>(service.url, 'GET', '/api/auth/me', { token: admin })).body.user.id;
    expect(ofType(all, 'account_unlocked')).toEqual([expect.objectContaining({ user_id: id, details: { actor_id: adminId } })]);
  });

  it('answers 404 to an unlock of an unknown user and 403 to a non-admin', async () => {
    expect((await call(service.url, 'POST', '/api/admin/users/00000000-0000-4000-8000-000000000000/unlock', { token: admin })).status).toBe(404);
    const { email, id } = await register(service);
    const user = await call<TokenPair>(service.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } });
    expect((await call(service.url, 'POST', `/api/admin/users/${id}/unlock`, { token: user.body.access_token })).status).toBe(403);
  });

  it('places exactly one lock for 50 parallel wrong logins from one address', async () => {
    const { email } = await register(service);
    const [a] = clientAddresses(1);
    const answers = await Promise.all(Array.from({ length: 50 }, () => login(service, a, email, WRONG)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expectLocked(await login(service, a, email, STRONG_PASSWORD));
    expect(ofType(await rows(service, email), 'account_locked', undefined).filter((r) => r.details.scope === 'address')).toHaveLength(1);
  });
});

function expectRateLimited(res: JsonResponse): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ statusCode: 429, error: 'rate_limited', message: expect.any(String), request_id: expect.any(String) });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
}

async function rateLimitedRows(service: RunningService, ips: string[]): Promise<LogRow[]> {
  await service.app.get(SecurityLogService).flushAll();
  return service.dataSource.query(`SELECT event_type, user_id, identifier, ip, details FROM security_logs WHERE event_type = 'rate_limited' AND ip = ANY($1) ORDER BY id`, [ips]);
}

const LIMITS = { RATE_LIMIT_LOGIN: '3', RATE_LIMIT_REGISTER: '2', RATE_LIMIT_REFRESH: '4', LOCKOUT_THRESHOLD: '0', LOCKOUT_IDENTIFIER_THRESHOLD: '0' };

describe('rate limits (SPEC §6)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService(LIMITS);
  });
  afterAll(() => service?.close());

  it('limits login, register and refresh per client address, each on its own counter, malformed requests included', async () => {
    const [a, b] = clientAddresses(2);
    const email = uniqueEmail('limits');
    expect((await callFrom(a, service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } })).status).toBe(201);
    expect((await callFrom(a, service.url, 'POST', '/api/auth/register', { json: { email: 'bad' } })).status).toBe(400);
    expectRateLimited(await callFrom(a, service.url, 'POST', '/api/auth/register', { json: { email: uniqueEmail(), password: STRONG_PASSWORD } }));
    expect((await callFrom(b, service.url, 'POST', '/api/auth/register', { json: { email: uniqueEmail(), password: STRONG_PASSWORD } })).status).toBe(201);

    expect((await login(service, a, email, STRONG_PASSWORD)).status).toBe(200);
    expect((await login(service, a, email, WRONG)).status).toBe(401);
    expect((await callFrom(a, service.url, 'POST', '/api/auth/login', { json: {} })).status).toBe(400);
    expectRateLimited(await login(service, a, email, STRONG_PASSWORD));
    expect((await login(service, b, email, STRONG_PASSWORD)).status).toBe(200);

    for (let i = 0; i < 4; i++) expect((await callFrom(a, service.url, 'POST', '/api/auth/refresh', { json: { refresh_token: 'rt_nope' } })).status).toBe(401);
    expectRateLimited(await callFrom(a, service.url, 'POST', '/api/auth/refresh', { json: { refresh_token: 'rt_nope' } }));
    // Routes without a limit are not counted: logout still answers.
    expect((await callFrom(a, service.url, 'POST', '/api/auth/logout', { json: { refresh_token: 'rt_nope' } })).status).toBe(204);

    const rows = await rateLimitedRows(service, [a, b]);
    expect(rows.map((r) => [r.ip, r.details.limit, r.details.count])).toEqual([
      [a, 'register', 1],
      [a, 'login', 1],
      [a, 'refresh', 1],
    ]);
  });

  it('lets exactly the limit through from a parallel burst, and aggregates the refusals per client and minute', async () => {
    const [a] = clientAddresses(1);
    const answers = await Promise.all(Array.from({ length: 30 }, () => login(service, a, uniqueEmail('burst'), WRONG)));
    expect(answers.filter((r) => r.status === 401)).toHaveLength(3);
    answers.filter((r) => r.status !== 401).forEach(expectRateLimited);
    const rows = await rateLimitedRows(service, [a]);
    expect(rows.length).toBeLessThanOrEqual(2); // two only when the burst straddles a minute
    expect(rows.reduce((sum, r) => sum + Number(r.details.count), 0)).toBe(27);
  });

  it('refuses an identifier of 10 000 characters as invalid, counted like any request', async () => {
    const [a] = clientAddresses(1);
    const res = await callFrom(a, service.url, 'POST', '/api/auth/login', { json: { email: 'x'.repeat(10_000), password: WRONG } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed' });
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: forged addresses all count as the connection\'s', async () => {
    const [a] = clientAddresses(1);
    const forged = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'];
    const statuses = [];
    for (const ip of forged) statuses.push((await callFrom(a, service.url, 'POST', '/api/auth/login', { json: { email: uniqueEmail(), password: WRONG }, headers: { 'x-forwarded-for': ip } })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe('rate limits behind a trusted proxy (TRUST_PROXY)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ ...LIMITS, TRUST_PROXY: '1' });
  });
  afterAll(() => service?.close());

  const from = (forwardedFor: string) => call(service.url, 'POST', '/api/auth/login', { json: { email: uniqueEmail(), password: WRONG }, headers: { 'x-forwarded-for': forwardedFor } });

  it('counts the client the proxy names, IPv6 clients by /64, whatever the client put before it', async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    const statuses = [];
    for (const host of ['1', 'ffff', 'abcd:1234:5678:9']) statuses.push((await from(`${prefix}:7:${host.includes(':') ? host : `:${host}`}`)).status);
    expectRateLimited(await from(`${prefix}:7::2`));
    expect(statuses).toEqual([401, 401, 401]);
    expect((await from(`${prefix}:8::1`)).status).toBe(401);

    // A huge forged chain before the proxy's entry: only the last hop counts, and it costs one counter.
    const forged = Array.from({ length: 500 }, (_, i) => `10.9.${i >> 8}.${i & 255}`).join(', ');
    const ipv4 = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    for (let i = 0; i < 3; i++) expect((await from(`${forged}, ${ipv4}`)).status).toBe(401);
    expectRateLimited(await from(`10.0.0.1, ${ipv4}`));
    expect((await from(`${ipv4}, 198.51.100.77`)).status).toBe(401);
  });
});

function refreshFrom(service: RunningService, from: string): Promise<JsonResponse> {
  return callFrom(from, service.url, 'POST', '/api/auth/refresh', { json: { refresh_token: 'rt_nope' } });
}

async function redisState(service: RunningService): Promise<string> {
  return (await call<{ redis: string }>(service.url, 'GET', '/health/ready')).body.redis;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('counters shared by two instances through Redis (SPEC §6)', () => {
  let proxy: TcpProxy;
  let a: RunningService;
  let b: RunningService;
  beforeAll(async () => {
    if (!withRedis) return;
    const redis = new URL(process.env.TEST_REDIS_URL as string);
    proxy = await TcpProxy.start(redis.hostname, Number(redis.port || 6379));
    const env = { REDIS_URL: proxy.via(redis.toString()), LOCKOUT_THRESHOLD: '3', LOCKOUT_IDENTIFIER_THRESHOLD: '0', RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REGISTER: '0', RATE_LIMIT_REFRESH: '5' };
    a = await startAuthService(env);
    b = await startAuthService(env, a.database);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.close();
    await proxy?.close();
    await proxy?.cut();
  });

  (withRedis ? it : it.skip)('(needs TEST_DATABASE_URL and TEST_REDIS_URL) a lock placed through one instance holds on the other, and 50 parallel failures over both place one', async () => {
    const { email } = await register(a);
    const [x, y] = clientAddresses(2);
    for (const service of [a, b, a]) expect((await login(service, x, email, WRONG)).status).toBe(401);
    expectLocked(await login(b, x, email, STRONG_PASSWORD));
    expect((await login(b, y, email, STRONG_PASSWORD)).status).toBe(200);

    const other = (await register(a)).email;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => login(i % 2 ? a : b, y, other, WRONG)));
    expect(answers.filter((r) => r.status !== 401 && r.status !== 429)).toEqual([]);
    expectLocked(await login(a, y, other, STRONG_PASSWORD));
    expectLocked(await login(b, y, other, STRONG_PASSWORD));
    expect(ofType(await rows(a, other, [a, b]), 'account_locked')).toHaveLength(1);
  });

  (withRedis ? it : it.skip)('(needs TEST_DATABASE_URL and TEST_REDIS_URL) a parallel burst over both instances gets exactly the limit through', async () => {
    const [x] = clientAddresses(1);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => refreshFrom(i % 2 ? a : b, x)));
    expect(answers.filter((r) => r.status === 401)).toHaveLength(5);
    answers.filter((r) => r.status !== 401).forEach(expectRateLimited);
  });

  (withRedis ? it : it.skip)('(needs TEST_DATABASE_URL and TEST_REDIS_URL) falls back to per-instance counters while Redis is cut, and shares them again once it is back', async () => {
    const { email } = await register(a);
    const [x, y, z] = clientAddresses(3);
    await proxy.cut();
    await until('both instances see Redis down', async () => (await redisState(a)) === 'down' && (await redisState(b)) === 'down');
    for (let i = 0; i < 3; i++) expect((await login(a, x, email, WRONG)).status).toBe(401);
    expectLocked(await login(a, x, email, STRONG_PASSWORD)); // A's own counters still lock
    expect((await login(b, x, email, STRONG_PASSWORD)).status).toBe(200); // B's own counters never saw those failures
    expect((await login(b, y, email, STRONG_PASSWORD)).status).toBe(200);

    // Each instance's own rate-limit counter: the limit per instance, neither all refused nor all let through.
    for (const service of [a, b]) {
      for (let i = 0; i < 5; i++) expect((await refreshFrom(service, z)).status).toBe(401);
      expectRateLimited(await refreshFrom(service, z));
    }

    await proxy.restore();
    await until('both instances see Redis up', async () => (await redisState(a)) === 'up' && (await redisState(b)) === 'up');
    for (const service of [a, b, a]) expect((await login(service, z, email, WRONG)).status).toBe(401);
    expectLocked(await login(b, z, email, STRONG_PASSWORD));
  });
});

describe('password policy when a password is set (SPEC §2, PASSWORD_MIN_LENGTH)', () => {
  it('keeps an existing shorter password working at login, and applies the policy to registration and password change', async () => {
    const short = 'river stone 42'; // 14 characters: allowed with PASSWORD_MIN_LENGTH=8, not with the default 15
    const lenient = await startAuthService({ PASSWORD_MIN_LENGTH: '8' });
    const email = uniqueEmail('short');
    expect((await call(lenient.url, 'POST', '/api/auth/register', { json: { email, password: short } })).status).toBe(201);
    await lenient.stop();
    const strict = await startAuthService({}, lenient.database);
    try {
      const signedIn = await call<TokenPair>(strict.url, 'POST', '/api/auth/login', { json: { email, password: short } });
      expect(signedIn.status).toBe(200);
      const refused = await call(strict.url, 'POST', '/api/auth/register', { json: { email: uniqueEmail(), password: short } });
      expect(refused.status).toBe(400);
      expect(refused.body.details).toEqual([{ field: 'password', message: 'password must be at least 15 characters' }]);
      for (const weak of ['aaaaaaaaaaaaaaa', '123456789012345', ' '.repeat(16), 'abcdefghijklmnop']) {
        const change = await call(strict.url, 'POST', '/api/auth/password', { token: signedIn.body.access_token, json: { current_password: short, new_password: weak } });
        expect(change.status).toBe(400);
        expect(change.body.details).toEqual([{ field: 'new_password', message: expect.stringMatching(/^new_password must not be a repetition or a sequence/) }]);
      }
      const change = await call(strict.url, 'POST', '/api/auth/password', { token: signedIn.body.access_token, json: { current_password: short, new_password: STRONG_PASSWORD } });
      expect(change.status).toBe(204);
    } finally {
      await strict.close();
    }
  });
});
