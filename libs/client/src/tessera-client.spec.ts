import { createClient, TesseraClient } from './tessera-client';
import type { Transport } from './token-endpoint';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${encode({ alg: 'ES256' })}.${encode(claims)}.c2ln`;
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const pair = (n: number) => ({ access_token: jwt({ sid: 's', n }), token_type: 'Bearer', expires_in: 60, refresh_token: `rt_${n}`, refresh_expires_in: 600 });

/** A scripted server: answers each call with the next answer for its path, and records the calls. */
function scripted(answers: Record<string, (() => Response)[]>): Transport & { calls: { path: string; auth: string | null; body: string | null }[] } {
  const calls: { path: string; auth: string | null; body: string | null }[] = [];
  const transport = (async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(input instanceof Request ? input.url : input).pathname;
    const body = input instanceof Request ? await input.text() : typeof init?.body === 'string' ? init.body : null;
    calls.push({ path, auth: new Headers(init?.headers).get('authorization'), body });
    const next = answers[path]?.shift();
    if (!next) throw new TypeError(`no answer scripted for ${path}`);
    return next();
  }) as Transport & { calls: typeof calls };
  transport.calls = calls;
  return transport;
}

/** The client's logic with a scripted transport and a fake clock (the e2e tests run it against the real service). */
describe('TesseraClient (scripted transport, fake clock)', () => {
  let clock = 1_000_000;
  let client: TesseraClient;
  beforeEach(() => {
    jest.useFakeTimers();
    clock = 1_000_000;
  });
  afterEach(() => {
    client?.close();
    jest.useRealTimers();
  });
  const advance = async (ms: number) => {
    clock += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };

  it('refreshes on its own 30 s before the access token expires, without any call', async () => {
    const transport = scripted({ '/api/auth/login': [() => json(200, pair(1))], '/api/auth/refresh': [() => json(200, pair(2))] });
    client = createClient({ issuer: 'https://auth.test', storage: 'memory', transport, now: () => clock });
    const refreshed: number[] = [];
    client.on('refresh', ({ expiresAt }) => refreshed.push(expiresAt));
    await client.login('a@b.c', 'pw');
    await advance(29_900);
    expect(transport.calls.map((c) => c.path)).toEqual(['/api/auth/login']);
    await advance(100);
    expect(transport.calls.map((c) => c.path)).toEqual(['/api/auth/login', '/api/auth/refresh']);
    expect(transport.calls[1].body).toBe(JSON.stringify({ refresh_token: 'rt_1' }));
    expect(refreshed).toEqual([clock + 60_000]);
  });

  it('after a 429 waits for Retry-After (longer than its own backoff) before trying again, and keeps the session', async () => {
    const transport = scripted({
      '/api/auth/login': [() => json(200, pair(1))],
      '/api/auth/refresh': [() => json(429, { statusCode: 429, error: 'rate_limited', message: 'slow down' }, { 'retry-after': '120' }), () => json(200, pair(2))],
    });
    client = createClient({ issuer: 'https://auth.test', storage: 'memory', transport, now: () => clock, retryDelay: 1000, refreshLeeway: 1 });
    const logouts: string[] = [];
    client.on('logout', ({ reason }) => logouts.push(reason));
    await client.login('a@b.c', 'pw');
    await expect(client.refresh()).rejects.toMatchObject({ kind: 'unavailable', status: 429, code: 'rate_limited', retryAfter: 120 });
    await advance(119_000);
    expect(transport.calls.filter((c) => c.path === '/api/auth/refresh')).toHaveLength(1);
    await advance(1_000);
    expect(transport.calls.filter((c) => c.path === '/api/auth/refresh')).toHaveLength(2);
    expect(logouts).toEqual([]);
    expect(await client.getAccessToken()).toBe(pair(2).access_token);
  });

  it('a refusal other than invalid_grant (a 400) keeps the tokens and schedules nothing', async () => {
    const transport = scripted({
      '/api/auth/login': [() => json(200, pair(1))],
      '/api/auth/refresh': [() => json(400, { statusCode: 400, error: 'validation_failed', message: 'bad', details: [{ field: 'refresh_token', message: 'must be a string' }] })],
    });
    client = createClient({ issuer: 'https://auth.test', storage: 'memory', transport, now: () => clock, refreshLeeway: 1 });
    await client.login('a@b.c', 'pw');
    await expect(client.refresh()).rejects.toMatchObject({ kind: 'rejected', details: [{ field: 'refresh_token', message: 'must be a string' }] });
    await advance(20_000);
    expect(transport.calls).toHaveLength(2);
    expect(await client.getAccessToken()).toBe(pair(1).access_token);
  });

  it('retries a Request with its body after one refresh, with the new token', async () => {
    const transport = scripted({
      '/api/auth/login': [() => json(200, pair(1))],
      '/api/auth/refresh': [() => json(200, pair(2))],
      '/orders': [() => json(401, { error: 'unauthorized' }), () => json(201, { ok: true })],
    });
    client = createClient({ issuer: 'https://auth.test/', storage: 'memory', transport, now: () => clock });
    await client.login('a@b.c', 'pw');
    const answer = await client.fetch(new Request('https://api.test/orders', { method: 'POST', body: '{"item":1}' }));
    expect(answer.status).toBe(201);
    const orders = transport.calls.filter((c) => c.path === '/orders');
    expect(orders.map((c) => [c.auth, c.body])).toEqual([
      [`Bearer ${pair(1).access_token}`, '{"item":1}'],
      [`Bearer ${pair(2).access_token}`, '{"item":1}'],
    ]);
  });

  it('signed out, sends the request without a token and does not try to refresh', async () => {
    const transport = scripted({ '/public': [() => json(401, {})] });
    client = createClient({ issuer: 'https://auth.test', storage: 'memory', transport, now: () => clock });
    expect((await client.fetch('https://api.test/public')).status).toBe(401);
    expect(transport.calls).toEqual([{ path: '/public', auth: null, body: null }]);
    await expect(client.refresh()).rejects.toMatchObject({ kind: 'not_signed_in' });
  });

  it('in cookie mode sends the header and the cookies, never a refresh token, and keeps none', async () => {
    const inits: RequestInit[] = [];
    const transport: Transport = async (_input, init) => {
      inits.push(init ?? {});
      const { refresh_token: _dropped, ...body } = pair(1);
      return json(200, body);
    };
    client = createClient({ issuer: 'https://auth.test', storage: 'cookie', transport, now: () => clock });
    await client.login('a@b.c', 'pw');
    await client.refresh();
    expect(inits.map((i) => [i.credentials, new Headers(i.headers).get('x-token-transport')])).toEqual([
      ['include', 'cookie'],
      ['include', 'cookie'],
    ]);
    expect(inits[1].body).toBe('{}');
  });
});
