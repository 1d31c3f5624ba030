import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { freePort, RunningService, startAuthService } from './support/auth-service';
import { cuttableProxy } from './support/cuttable-proxy';
import { createTestDatabase } from './support/databases';
import { claimsOf, newSession, refresh } from './support/flows';
import { call, JsonResponse, STRONG_PASSWORD, uniqueEmail } from './support/http';
import { usingPostgres } from './support/test-env';

/**
 * The stock OAuth libraries, unmodified, against the real service. Both refuse plain-http issuers
 * unless told otherwise (RFC 6749 §3.1 asks TLS of a token endpoint); the service under test listens
 * on 127.0.0.1 without TLS, so the tests pass each library's documented opt-out
 * (`allowInsecureRequests`) and nothing else: no custom fetch, no adapter.
 */
const INSECURE_FOR_TESTS = { execute: [openid.allowInsecureRequests] };
const OAUTH4_INSECURE_FOR_TESTS = { [oauth.allowInsecureRequests]: true } as const;

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('POST /oauth/token and the metadata, for standard OAuth clients (SPEC §2)', () => {
  let service: RunningService;
  let issuer: string;
  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    // Strict reuse detection, so that a replayed token is invalid_grant at once.
    service = await startAuthService({ JWT_ISSUER: issuer, REFRESH_REUSE_GRACE: '0' }, undefined, port);
  });
  afterAll(() => service?.close());

  const tokenCall = (body: string, headers: Record<string, string> = FORM) => call(service.url, 'POST', '/oauth/token', { body, headers });
  const grant = (refreshToken: string, extra: Record<string, string> = {}) => tokenCall(form({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }));

  const expectOAuthError = (res: JsonResponse, status: number, error: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(error === 'invalid_grant' ? ['error', 'error_description', 'reason', 'request_id'] : ['error', 'error_description', 'request_id']);
    expect(res.body.error).toBe(error);
    expect(res.body.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
  };

  it('publishes the same truthful metadata at both well-known paths, built from JWT_ISSUER, public to browsers', async () => {
    const expected = {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/oauth/token`,
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint: `${issuer}/api/auth/revoke`,
      revocation_endpoint_auth_methods_supported: ['none'],
    };
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const res = await call(service.url, 'GET', path, { headers: { host: 'evil.example', origin: 'http://any.example' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expected);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.text).not.toContain('evil.example');
    }
  });

  it('openid-client 6: discovery (OIDC and RFC 8414), refreshTokenGrant rotates, a replayed token is invalid_grant', async () => {
    const first = await newSession(service.url, 'openid');
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      const config = await openid.discovery(new URL(issuer), 'tessera', undefined, openid.None(), { ...INSECURE_FOR_TESTS, algorithm });
      expect(config.serverMetadata().token_endpoint).toBe(`${issuer}/oauth/token`);
    }
    const config = await openid.discovery(new URL(issuer), 'tessera', undefined, openid.None(), INSECURE_FOR_TESTS);
    const tokens = await openid.refreshTokenGrant(config, first.refresh_token);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.refresh_token).toMatch(/^rt_/);
    expect(tokens.refresh_token).not.toBe(first.refresh_token);
    expect(claimsOf(tokens.access_token).sid).toBe(claimsOf(first.access_token).sid);
    expect((await call(service.url, 'GET', '/api/auth/me', { token: tokens.access_token })).status).toBe(200);

    const again = await openid.refreshTokenGrant(config, tokens.refresh_token!);
    const replay = openid.refreshTokenGrant(config, tokens.refresh_token!);
    await expect(replay).rejects.toBeInstanceOf(openid.ResponseBodyError);
    await expect(replay).rejects.toMatchObject({ error: 'invalid_grant', status: 400, cause: { reason: 'reused' } });
    // Reuse revoked the whole session, the newest token included.
    await expect(openid.refreshTokenGrant(config, again.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant', cause: { reason: 'revoked' } });
  });

  it('oauth4webapi 3: RFC 8414 discovery, refresh, and invalid_grant for a replayed token', async () => {
    const first = await newSession(service.url, 'oauth4');
    const issuerUrl = new URL(issuer);
    const as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', ...OAUTH4_INSECURE_FOR_TESTS }));
    const client: oauth.Client = { client_id: 'tessera' };
    const refreshWith = async (token: string) =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), token, OAUTH4_INSECURE_FOR_TESTS));
    const result = await refreshWith(first.refresh_token);
    expect(result.access_token).toEqual(expect.any(String));
    expect(result.expires_in).toBe(900);
    expect(result.refresh_token).toMatch(/^rt_/);
    const replay = refreshWith(first.refresh_token);
    await expect(replay).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(replay).rejects.toMatchObject({ error: 'invalid_grant', cause: { error: 'invalid_grant', reason: 'reused' } });
  });

  it('shares one refresh path with /api/auth/refresh: rotation, reuse detection and events', async () => {
    const first = await newSession(service.url, 'shared');
    const viaOAuth = await grant(first.refresh_token);
    expect(viaOAuth.status).toBe(200);
    expect(viaOAuth.headers.get('cache-control')).toBe('no-store');
    expect(viaOAuth.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_expires_in: expect.any(Number), user: { id: first.user.id } });
    const viaApi = await refresh(service.url, viaOAuth.body.refresh_token);
    expect(viaApi.status).toBe(200);
    // The token spent at /oauth/token is reuse at /api/auth/refresh, and the other way round.
    expect((await refresh(service.url, viaOAuth.body.refresh_token)).body.reason).toBe('reused');
    expectOAuthError(await grant(viaApi.body.refresh_token), 400, 'invalid_grant');
    const sid = claimsOf(first.access_token).sid;
    // refresh_failed events are batched, so whether the last one is stored yet is left out.
    const events = await service.dataSource.query(`SELECT event_type FROM security_logs WHERE session_id = $1 AND event_type <> 'refresh_failed' ORDER BY id`, [sid]);
    expect(events.map((e: { event_type: string }) => e.event_type)).toEqual(['login_success', 'token_refreshed', 'token_refreshed', 'refresh_token_reuse_detected']);
  });

  it('follows RFC 6749 to the letter: form or JSON, unknown parameters ignored, empty ones omitted, client_id checked', async () => {
    const session = await newSession(service.url, 'letter');
    const extras = 'foo=bar&resource=a&resource=b&constructor=x&__proto__=y&toString=z&client_secret=';
    const res = await tokenCall(`${form({ grant_type: 'refresh_token', refresh_token: session.refresh_token, client_id: 'tessera', scope: '' })}&${extras}`);
    expect(res.status).toBe(200);
    const json = await call(service.url, 'POST', '/oauth/token', {
      json: { grant_type: 'refresh_token', refresh_token: res.body.refresh_token, audience: 'x', constructor: 'y', nested: { a: 1 } },
    });
    expect(json.status).toBe(200);
    const charset = await tokenCall(form({ grant_type: 'refresh_token', refresh_token: json.body.refresh_token as string }), { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' });
    expect(charset.status).toBe(200);
  });

  it('answers RFC 6749 §5.2 errors, with no-store, and WWW-Authenticate on invalid_client', async () => {
    const { refresh_token } = await newSession(service.url, 'errors');
    expectOAuthError(await tokenCall(form({ refresh_token })), 400, 'invalid_request');
    expectOAuthError(await tokenCall(form({ grant_type: '', refresh_token })), 400, 'invalid_request');
    expectOAuthError(await tokenCall(form({ grant_type: 'refresh_token' })), 400, 'invalid_request');
    expectOAuthError(await tokenCall(form({ grant_type: 'password', username: 'a', password: 'b' })), 400, 'unsupported_grant_type');
    expectOAuthError(await tokenCall(form({ grant_type: 'authorization_code', code: 'x' })), 400, 'unsupported_grant_type');
    expectOAuthError(await grant(refresh_token, { scope: 'openid' }), 400, 'invalid_scope');
    const repeated = await tokenCall(`${form({ grant_type: 'refresh_token', refresh_token })}&refresh_token=rt_other`);
    expectOAuthError(repeated, 400, 'invalid_request');
    expect(repeated.body.error_description).toBe('refresh_token must not be repeated');
    expectOAuthError(await tokenCall('{"grant_type": ', { 'content-type': 'application/json' }), 400, 'invalid_request');
    expectOAuthError(await call(service.url, 'POST', '/oauth/token', { json: { grant_type: 'refresh_token', refresh_token: 42 } }), 400, 'invalid_request');

    const client = await grant(refresh_token, { client_id: 'someone-else' });
    expectOAuthError(client, 401, 'invalid_client');
    expect(client.headers.get('www-authenticate')).toBe('Basic realm="tessera", error="invalid_client"');

    const unknown = await grant('rt_no-such-token');
    expectOAuthError(unknown, 400, 'invalid_grant');
    expect(unknown.body.reason).toBe('unknown');
    // None of the refused requests spent the token.
    expect((await grant(refresh_token)).status).toBe(200);
  });

  it('keeps the SPEC codes for its other failures (415, 413, 404) and adds error_description', async () => {
    const plain = await tokenCall('grant_type=refresh_token', { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect(plain.headers.get('cache-control')).toBe('no-store');
    expect(plain.body).toEqual({ statusCode: 415, error: 'unsupported_media_type', message: expect.any(String), error_description: expect.stringContaining('x-www-form-urlencoded'), request_id: expect.any(String) });
    const latin1 = await tokenCall('grant_type=refresh_token', { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' });
    expect(latin1.status).toBe(415);
    expect(latin1.body.error_description).toEqual(expect.any(String));
    const big = await tokenCall(form({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(17 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ statusCode: 413, error: 'payload_too_large', message: expect.any(String), error_description: expect.any(String), request_id: expect.any(String) });
    const get = await call(service.url, 'GET', '/oauth/token');
    expect(get.status).toBe(404);
    expect(get.body).toMatchObject({ error: 'not_found', error_description: expect.any(String) });
    expect(get.headers.get('cache-control')).toBe('no-store');
  });

  it('leaves the JSON API strict: unknown members and form bodies are still refused there', async () => {
    const { refresh_token } = await newSession(service.url, 'strict');
    const unknown = await call(service.url, 'POST', '/api/auth/refresh', { json: { refresh_token, grant_type: 'refresh_token' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ statusCode: 400, error: 'validation_failed', details: [{ field: 'grant_type' }] });
    const formBody = await call(service.url, 'POST', '/api/auth/refresh', { body: form({ refresh_token }), headers: FORM });
    expect(formBody.status).toBe(415);
    expect(formBody.body).not.toHaveProperty('error_description');
    expect((await refresh(service.url, refresh_token)).status).toBe(200);
  });
});

describe('REFRESH_REUSE_GRACE on /oauth/token (SPEC §4)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService({ REFRESH_REUSE_GRACE: '10' });
  });
  afterAll(() => service?.close());

  it('answers a retry inside the window with the same successor, as /api/auth/refresh does', async () => {
    const first = await newSession(service.url, 'grace');
    const body = form({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    const a = await call(service.url, 'POST', '/oauth/token', { body, headers: FORM });
    const b = await call(service.url, 'POST', '/oauth/token', { body, headers: FORM });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.refresh_token).toBe(a.body.refresh_token);
    expect((await refresh(service.url, first.refresh_token)).body.refresh_token).toBe(a.body.refresh_token);
  });
});

describe('a database outage at the token endpoints', () => {
  (usingPostgres() ? it : it.skip)(
    '(needs TEST_DATABASE_URL) /oauth/token answers 503 unavailable with error_description and Retry-After; cookie mode keeps the cookie',
    async () => {
      const proxy = await cuttableProxy(process.env.TEST_DATABASE_URL as string);
      const db = await createTestDatabase();
      const service = await startAuthService({ DATABASE_URL: proxy.route(db.env.DATABASE_URL) }, db);
      try {
        const session = await newSession(service.url, 'outage');
        const email = uniqueEmail('outage-cookie');
        await call(service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
        const login = await call(service.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD }, headers: { 'x-token-transport': 'cookie' } });
        const cookie = login.headers.getSetCookie()[0].split(';')[0];
        await proxy.cut();

        const res = await call(service.url, 'POST', '/oauth/token', { body: form({ grant_type: 'refresh_token', refresh_token: session.refresh_token }), headers: FORM });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.body).toEqual({ statusCode: 503, error: 'unavailable', message: 'Service temporarily unavailable', error_description: 'Service temporarily unavailable', request_id: expect.any(String) });

        const viaCookie = await call(service.url, 'POST', '/api/auth/refresh', { headers: { 'x-token-transport': 'cookie', cookie } });
        expect(viaCookie.status).toBe(503);
        // Not a refused grant: the session is not over, so the cookie stays for the retry.
        expect(viaCookie.headers.getSetCookie()).toEqual([]);

        await proxy.restore();
        expect((await grantAt(service.url, session.refresh_token)).status).toBe(200);
        expect((await call(service.url, 'POST', '/api/auth/refresh', { headers: { 'x-token-transport': 'cookie', cookie } })).status).toBe(200);
      } finally {
        proxy.close();
        await service.close();
      }
    },
  );
});

function grantAt(url: string, refreshToken: string) {
  return call(url, 'POST', '/oauth/token', { body: form({ grant_type: 'refresh_token', refresh_token: refreshToken }), headers: FORM });
}
