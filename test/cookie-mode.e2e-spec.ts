import { RunningService, startAuthService } from './support/auth-service';
import { claimsOf } from './support/flows';
import { call, JsonResponse, STRONG_PASSWORD, uniqueEmail } from './support/http';

const APP_ORIGIN = 'http://app.test';
const COOKIE = { 'x-token-transport': 'cookie' };

interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

/** The one Set-Cookie of an answer, split into its name, value and attributes (names lower-cased). */
function setCookieOf(res: JsonResponse): SetCookie | undefined {
  const all = res.headers.getSetCookie();
  expect(all.length).toBeLessThanOrEqual(1);
  if (all.length === 0) return undefined;
  const [pair, ...rest] = all[0].split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const at = part.indexOf('=');
    if (at < 0) attributes[part.toLowerCase()] = true;
    else attributes[part.slice(0, at).toLowerCase()] = part.slice(at + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

function expectCleared(res: JsonResponse, name = 'tessera_refresh'): void {
  const cookie = setCookieOf(res);
  expect(cookie).toMatchObject({ name, value: '', attributes: { 'max-age': '0', path: '/api/auth', httponly: true, samesite: 'Strict' } });
  expect(new Date(cookie!.attributes.expires as string).getTime()).toBe(0);
}

async function cookieLogin(service: RunningService, headers: Record<string, string> = {}) {
  const email = uniqueEmail('cookie');
  expect((await call(service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } })).status).toBe(201);
  const res = await call(service.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD }, headers: { ...COOKIE, ...headers } });
  expect(res.status).toBe(200);
  return { res, cookie: setCookieOf(res)!, body: res.body as { access_token: string; refresh_expires_in: number } };
}

function cookieRefresh(service: RunningService, cookie: string | undefined, headers: Record<string, string> = {}, name = 'tessera_refresh') {
  return call(service.url, 'POST', '/api/auth/refresh', { headers: { ...COOKIE, ...(cookie === undefined ? {} : { cookie: `${name}=${cookie}` }), ...headers } });
}

function cookieLogout(service: RunningService, cookie: string, headers: Record<string, string> = {}) {
  return call(service.url, 'POST', '/api/auth/logout', { headers: { ...COOKIE, cookie: `tessera_refresh=${cookie}`, ...headers } });
}

/** No member of the body, at any depth, holds the refresh token, and its text does not either. */
function expectNoRefreshTokenIn(res: JsonResponse, token: string): void {
  expect(res.body).not.toHaveProperty('refresh_token');
  expect(res.text).not.toContain(token);
  expect(res.text).not.toMatch(/rt_[A-Za-z0-9_-]{43,}/);
}

describe('browser cookie mode on an http issuer (SPEC §2)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ CORS_ORIGINS: APP_ORIGIN, REFRESH_REUSE_GRACE: '0' });
  });
  afterAll(() => service?.close());

  it('login puts the refresh token only in an HttpOnly, SameSite=Strict cookie on /api/auth that lives refresh_expires_in', async () => {
    const { res, cookie, body } = await cookieLogin(service);
    expect(cookie.name).toBe('tessera_refresh');
    expect(cookie.value).toMatch(/^rt_[A-Za-z0-9_-]{107}$/);
    expect(cookie.attributes).toEqual({ 'max-age': String(body.refresh_expires_in), path: '/api/auth', httponly: true, samesite: 'Strict' });
    expect(body.refresh_expires_in).toBe(604800);
    expect(body.access_token).toEqual(expect.any(String));
    expect(res.headers.get('cache-control')).toBe('no-store');
    expectNoRefreshTokenIn(res, cookie.value);
  });

  it('refresh reads the cookie, answers a new one and a new access token, never the refresh token in the body', async () => {
    const { cookie, body } = await cookieLogin(service);
    const res = await cookieRefresh(service, cookie.value);
    expect(res.status).toBe(200);
    const next = setCookieOf(res)!;
    expect(next.name).toBe('tessera_refresh');
    expect(next.value).toMatch(/^rt_/);
    expect(next.value).not.toBe(cookie.value);
    expect(next.attributes).toEqual({ 'max-age': String((res.body as { refresh_expires_in: number }).refresh_expires_in), path: '/api/auth', httponly: true, samesite: 'Strict' });
    expectNoRefreshTokenIn(res, next.value);
    expect(res.text).not.toContain(cookie.value);
    const access = (res.body as { access_token: string }).access_token;
    expect(claimsOf(access).sid).toBe(claimsOf(body.access_token).sid);
    expect((await call(service.url, 'GET', '/api/auth/me', { token: access })).status).toBe(200);
  });

  it('requires the header: a request with only the cookie is a body-mode request, and the cookie is not read', async () => {
    const { cookie } = await cookieLogin(service);
    const res = await call(service.url, 'POST', '/api/auth/refresh', { headers: { cookie: `tessera_refresh=${cookie.value}` }, json: {} });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'refresh_token' }] });
    expect(setCookieOf(res)).toBeUndefined();
    const logout = await call(service.url, 'POST', '/api/auth/logout', { headers: { cookie: `tessera_refresh=${cookie.value}` } });
    expect(logout.status).toBe(400);
    expect((await cookieRefresh(service, cookie.value)).status).toBe(200);
  });

  it('refuses another transport name, and a refresh token in the body as well as the cookie', async () => {
    const { cookie } = await cookieLogin(service);
    const odd = await call(service.url, 'POST', '/api/auth/refresh', { headers: { 'x-token-transport': 'header' }, json: { refresh_token: cookie.value } });
    expect(odd.status).toBe(400);
    expect(odd.body).toMatchObject({ statusCode: 400, error: 'validation_failed', details: [{ field: 'X-Token-Transport' }] });
    const both = await call(service.url, 'POST', '/api/auth/refresh', { headers: { ...COOKIE, cookie: `tessera_refresh=${cookie.value}` }, json: { refresh_token: cookie.value } });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'refresh_token' }] });
    expect(setCookieOf(odd)).toBeUndefined();
    expect(setCookieOf(both)).toBeUndefined();
    expect((await cookieRefresh(service, cookie.value)).status).toBe(200);
  });

  it('accepts the issuer origin, a CORS_ORIGINS origin, the service\'s own origin and no Origin; refuses any other with 403 and keeps the cookie', async () => {
    const { cookie } = await cookieLogin(service);
    let current = cookie.value;
    // The issuer, a listed origin, a page of this service's own address (the console), no Origin at all.
    for (const origin of ['http://tessera.test', APP_ORIGIN, new URL(service.url).origin, undefined]) {
      const res = await cookieRefresh(service, current, origin ? { origin } : {});
      expect(res.status).toBe(200);
      current = setCookieOf(res)!.value;
    }
    for (const origin of ['http://evil.test', 'null', 'http://app.test:8080', 'https://app.test', 'http://tessera.test.evil.test']) {
      const res = await cookieRefresh(service, current, { origin });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'forbidden', message: expect.any(String), request_id: expect.any(String) });
      expect(setCookieOf(res)).toBeUndefined();
      const logout = await cookieLogout(service, current, { origin });
      expect(logout.status).toBe(403);
      expect(logout.body).toMatchObject({ error: 'forbidden' });
      expect(setCookieOf(logout)).toBeUndefined();
    }
    // Nothing was spent or revoked by the refused calls.
    expect((await cookieRefresh(service, current)).status).toBe(200);
  });

  it('a failed refresh answers invalid_grant with its reason and clears the cookie; no cookie at all is unknown', async () => {
    const bogus = await cookieRefresh(service, 'rt_not-a-live-token');
    expect(bogus.status).toBe(401);
    expect(bogus.body).toEqual({ statusCode: 401, error: 'invalid_grant', reason: 'unknown', message: expect.any(String), request_id: expect.any(String) });
    expectCleared(bogus);
    const none = await cookieRefresh(service, undefined);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: 'invalid_grant', reason: 'unknown' });
    expectCleared(none);
  });

  it('detects reuse through the cookie: the replayed cookie revokes the session and both cookies are cleared', async () => {
    const { cookie, body } = await cookieLogin(service);
    const rotated = await cookieRefresh(service, cookie.value);
    const second = setCookieOf(rotated)!.value;
    const replay = await cookieRefresh(service, cookie.value);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ error: 'invalid_grant', reason: 'reused' });
    expectCleared(replay);
    const after = await cookieRefresh(service, second);
    expect(after.body).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
    expectCleared(after);
    const [event] = await service.dataSource.query(`SELECT event_type FROM security_logs WHERE session_id = $1 AND event_type = 'refresh_token_reuse_detected'`, [
      claimsOf(body.access_token).sid,
    ]);
    expect(event).toBeDefined();
  });

  it('logout reads the cookie, revokes its session and clears it; without a cookie it still answers 204 and clears', async () => {
    const { cookie, body } = await cookieLogin(service);
    const res = await cookieLogout(service, cookie.value, { origin: APP_ORIGIN });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectCleared(res);
    expect((await cookieRefresh(service, cookie.value)).body).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
    expect((await call(service.url, 'GET', '/api/auth/me', { token: body.access_token })).status).toBe(401);
    const empty = await call(service.url, 'POST', '/api/auth/logout', { headers: COOKIE });
    expect(empty.status).toBe(204);
    expectCleared(empty);
  });

  it('leaves the body transport as it was: no cookie is set without the header', async () => {
    const email = uniqueEmail('body');
    await call(service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
    const login = await call<{ refresh_token: string }>(service.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } });
    expect(login.body.refresh_token).toMatch(/^rt_/);
    expect(setCookieOf(login)).toBeUndefined();
    const refreshed = await call(service.url, 'POST', '/api/auth/refresh', { json: { refresh_token: login.body.refresh_token } });
    expect(refreshed.status).toBe(200);
    expect(setCookieOf(refreshed)).toBeUndefined();
  });
});

describe('browser cookie mode on an https issuer (SPEC §2)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ JWT_ISSUER: 'https://tessera.test' });
  });
  afterAll(() => service?.close());

  it('names the cookie __Secure-tessera_refresh, marks it Secure, and reads it back under that name only', async () => {
    const { cookie } = await cookieLogin(service, { origin: 'https://tessera.test' });
    expect(cookie.name).toBe('__Secure-tessera_refresh');
    expect(cookie.attributes).toEqual({ 'max-age': '604800', path: '/api/auth', httponly: true, samesite: 'Strict', secure: true });
    expect((await cookieRefresh(service, cookie.value, {}, 'tessera_refresh')).body).toMatchObject({ error: 'invalid_grant', reason: 'unknown' });
    const res = await cookieRefresh(service, cookie.value, { origin: 'https://tessera.test' }, '__Secure-tessera_refresh');
    expect(res.status).toBe(200);
    expect(setCookieOf(res)).toMatchObject({ name: '__Secure-tessera_refresh', attributes: { secure: true, httponly: true, samesite: 'Strict' } });
    const refused = await cookieRefresh(service, setCookieOf(res)!.value, { origin: 'http://tessera.test' }, '__Secure-tessera_refresh');
    expect(refused.status).toBe(403);
  });
});

describe('CORS (SPEC §1 CORS_ORIGINS)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ CORS_ORIGINS: `${APP_ORIGIN},https://admin.test` });
  });
  afterAll(() => service?.close());

  const preflight = (origin: string, path = '/api/auth/refresh') =>
    call(service.url, 'OPTIONS', path, {
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-token-transport' },
    });

  it('answers a listed origin with credentials, X-Token-Transport allowed, Retry-After exposed and Vary: Origin', async () => {
    const pre = await preflight(APP_ORIGIN);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toContain('x-token-transport');
    expect(pre.headers.get('vary')).toMatch(/\bOrigin\b/);
    const { cookie } = await cookieLogin(service);
    const res = await cookieRefresh(service, cookie.value, { origin: APP_ORIGIN });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After, X-Request-Id');
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('gives any other origin no CORS grant at all, and still varies on Origin', async () => {
    for (const origin of ['http://evil.test', 'null', 'http://tessera.test']) {
      const pre = await preflight(origin);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      const res = await call(service.url, 'POST', '/api/auth/refresh', { headers: { origin }, json: { refresh_token: 'rt_x' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('access-control-expose-headers')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('serves the JWKS and the metadata to any origin, without credentials', async () => {
    for (const path of ['/.well-known/jwks.json', '/.well-known/openid-configuration']) {
      for (const origin of ['http://evil.test', APP_ORIGIN]) {
        const res = await call(service.url, 'GET', path, { headers: { origin } });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
        expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      }
    }
  });
});
