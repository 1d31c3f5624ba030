import { createClient, TesseraClient, TesseraEvents, TokenStorage } from '@tessera/client';
import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { RunningService, startAuthService } from './support/auth-service';
import { CountingProxy, startCountingProxy } from './support/counting-proxy';
import { newSession } from './support/flows';
import { call, STRONG_PASSWORD } from './support/http';

/** Short-lived access tokens, no tolerance: what the client must keep alive. */
const ENV = { ACCESS_TOKEN_TTL: '60', CLOCK_TOLERANCE: '0', RATE_LIMIT_LOGIN: '1000', RATE_LIMIT_REFRESH: '1000', RATE_LIMIT_REGISTER: '1000' };

/** Every event a client emits, in order. */
function record(client: TesseraClient): { type: keyof TesseraEvents; payload: unknown }[] {
  const seen: { type: keyof TesseraEvents; payload: unknown }[] = [];
  for (const type of ['login', 'refresh', 'logout'] as const) client.on(type, (payload) => seen.push({ type, payload }));
  return seen;
}

function storageOf(items: Record<string, string>): TokenStorage & { items: Map<string, string> } {
  const map = new Map(Object.entries(items));
  return { items: map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

describe('@tessera/client in Node against the real service', () => {
  let service: RunningService;
  let proxy: CountingProxy;
  const clients: TesseraClient[] = [];

  /** Refreshes the server recorded for a user (rows of `token_refreshed` in the security log). */
  async function refreshesOf(userId: string): Promise<number> {
    await service.app.get(SecurityLogService).flush();
    const rows: { n: string }[] = await service.dataSource.query(`SELECT count(*) AS n FROM security_logs WHERE user_id = $1 AND event_type = 'token_refreshed'`, [userId]);
    return Number(rows[0].n);
  }

  /** A client whose clock runs `offset.ms` ahead of the real one (expiry without waiting). */
  function client(options: Partial<Parameters<typeof createClient>[0]> = {}): { client: TesseraClient; offset: { ms: number } } {
    const offset = { ms: 0 };
    const created = createClient({ issuer: proxy.url, storage: 'memory', now: () => Date.now() + offset.ms, ...options });
    clients.push(created);
    return { client: created, offset };
  }

  beforeAll(async () => {
    service = await startAuthService(ENV);
  });
  beforeEach(async () => {
    proxy = await startCountingProxy(service.url);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await proxy.close();
  });
  afterAll(() => service?.close());

  it('signs in, calls the API with the Bearer token, and signs out at the server', async () => {
    const account = await newSession(service.url, 'client-basic');
    const { client: c } = client();
    const events = record(c);
    const user = await c.login(account.email, STRONG_PASSWORD);
    expect(user).toMatchObject({ id: account.user.id, email: account.email });
    const me = await c.fetch(`${proxy.url}/api/auth/me`);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { id: string } }).user.id).toBe(account.user.id);
    const token = await c.getAccessToken();
    await c.logout();
    expect(await c.getAccessToken()).toBeNull();
    expect(events.map((e) => e.type)).toEqual(['login', 'logout']);
    expect(events[1].payload).toEqual({ reason: 'logout' });
    // The session is over at the server too: its access token is refused.
    expect((await call(service.url, 'GET', '/api/auth/me', { token: token! })).status).toBe(401);
  });

  it('10 parallel fetches after expiry cause exactly one refresh, and all of them succeed', async () => {
    const account = await newSession(service.url, 'client-expiry');
    const { client: c, offset } = client();
    const events = record(c);
    await c.login(account.email, STRONG_PASSWORD);
    const before = await refreshesOf(account.user.id);
    offset.ms = 61_000; // past `exp` on the client's clock
    const answers = await Promise.all(Array.from({ length: 10 }, () => c.fetch(`${proxy.url}/api/auth/me`)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect((await refreshesOf(account.user.id)) - before).toBe(1);
    expect(proxy.count('/api/auth/refresh')).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['login', 'refresh']);
  });

  it('10 parallel 401s share one refresh; each request is retried once', async () => {
    const account = await newSession(service.url, 'client-401');
    // An access token the client takes for valid (its exp is far ahead) but the server refuses (bad signature).
    const [header, payload] = account.access_token.split('.');
    const storage = storageOf({ tessera_token: `${header}.${payload}.AAAA`, tessera_refresh_token: account.refresh_token });
    const { client: c } = client({ storage });
    const answers = await Promise.all(Array.from({ length: 10 }, () => c.fetch(`${proxy.url}/api/auth/me`)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(proxy.count('/api/auth/refresh')).toBe(1);
    expect(proxy.count('/api/auth/me')).toBe(20);
    expect(await refreshesOf(account.user.id)).toBe(1);
    // The rotated pair is what storage holds now.
    expect(storage.items.get('tessera_refresh_token')).not.toBe(account.refresh_token);
    expect(storage.items.get('tessera_token')).toBe(await c.getAccessToken());
  });

  it('a second 401 is returned, not looped: one refresh, one retry', async () => {
    const account = await newSession(service.url, 'client-401-twice');
    const { client: c } = client();
    await c.login(account.email, STRONG_PASSWORD);
    proxy.fail({ path: '/api/protected', status: 401, times: 100 });
    const answer = await c.fetch(`${proxy.url}/api/protected`);
    expect(answer.status).toBe(401);
    expect(proxy.count('/api/protected')).toBe(2);
    expect(proxy.count('/api/auth/refresh')).toBe(1);
    // Still signed in: a 401 from a resource is not the end of the session.
    expect((await c.fetch(`${proxy.url}/api/auth/me`)).status).toBe(200);
  });

  it('a revoked session ends in exactly one logout event with its reason', async () => {
    const account = await newSession(service.url, 'client-revoked');
    const storage = storageOf({});
    const { client: c } = client({ storage });
    const events = record(c);
    await c.login(account.email, STRONG_PASSWORD);
    const token = (await c.getAccessToken())!;
    expect((await call(service.url, 'POST', '/api/auth/revoke', { json: { token } })).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 5 }, () => c.fetch(`${proxy.url}/api/auth/me`)));
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill(401));
    expect(events.filter((e) => e.type === 'logout')).toEqual([{ type: 'logout', payload: { reason: 'revoked' } }]);
    expect(proxy.count('/api/auth/refresh')).toBe(1);
    expect(await c.getAccessToken()).toBeNull();
    expect([...storage.items.keys()]).toEqual([]);
    await expect(c.refresh()).rejects.toMatchObject({ kind: 'not_signed_in' });
    expect(events.filter((e) => e.type === 'logout')).toHaveLength(1);
  });

  it('a 503 during refresh keeps the session and the client retries by itself', async () => {
    const account = await newSession(service.url, 'client-503');
    const storage = storageOf({});
    const { client: c } = client({ storage, retryDelay: 200 });
    const events = record(c);
    await c.login(account.email, STRONG_PASSWORD);
    const kept = new Map(storage.items);
    proxy.fail({ path: '/api/auth/refresh', status: 503, times: 1 });
    const refreshed = new Promise((resolve) => c.on('refresh', resolve));
    await expect(c.refresh()).rejects.toMatchObject({ kind: 'unavailable', status: 503 });
    expect(events.map((e) => e.type)).toEqual(['login']);
    expect(storage.items).toEqual(kept);
    await refreshed; // nobody asked: the retry the client scheduled
    expect(proxy.count('/api/auth/refresh')).toBe(2);
    expect(storage.items.get('tessera_refresh_token')).not.toBe(kept.get('tessera_refresh_token'));
    expect(await refreshesOf(account.user.id)).toBe(1);
    expect((await c.fetch(`${proxy.url}/api/auth/me`)).status).toBe(200);
    expect(events.map((e) => e.type)).toEqual(['login', 'refresh']);
  });

  it('a network error during refresh keeps the session', async () => {
    const account = await newSession(service.url, 'client-offline');
    const { client: c } = client();
    const events = record(c);
    await c.login(account.email, STRONG_PASSWORD);
    await proxy.close();
    await expect(c.refresh()).rejects.toMatchObject({ kind: 'unavailable' });
    expect(events.map((e) => e.type)).toEqual(['login']);
    // Still valid on the client's clock: the token is handed out without a new refresh.
    expect(await c.getAccessToken()).not.toBeNull();
    proxy = await startCountingProxy(service.url);
  });
});
