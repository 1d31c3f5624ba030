/**
 * apps/example-api against the real auth service (SPEC §8): it trusts tokens only through
 * @tessera/verifier, the JWKS URL and the revocation feed.
 */
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RunningService, startAuthService } from './support/auth-service';
import { startExampleApi } from './support/example-api';
import { claimsOf, login, newSession } from './support/flows';
import { call, STRONG_PASSWORD, uniqueEmail } from './support/http';
import { beginRequest, untilRefused } from './support/raw-http';

const NO_LIMITS = { RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0' };
const POLL_MS = 500;
const EXAMPLE_MAIN = join(__dirname, '../dist/apps/example-api/apps/example-api/src/main.js');

describe('example-api (SPEC §8)', () => {
  let auth: RunningService;
  let api: { url: string; app: NestFastifyApplication };
  const adminEmail = uniqueEmail('exadmin');
  beforeAll(async () => {
    auth = await startAuthService({ ...NO_LIMITS, BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: STRONG_PASSWORD });
    api = await startExampleApi(auth, {
      AUTH_REVOCATIONS_URL: `${auth.url}/api/auth/revocations`,
      AUTH_REVOCATIONS_INTERVAL_MS: String(POLL_MS),
    });
  });
  afterAll(async () => {
    await api?.app.close();
    await auth?.close();
  });

  it('GET /api/hello answers the verified claims at the top level', async () => {
    const s = await newSession(auth.url, 'exhello');
    const res = await call(api.url, 'GET', '/api/hello', { token: s.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(claimsOf(s.access_token));
    expect(res.body).toMatchObject({ sub: s.user.id, roles: ['user'], aud: 'tessera', iss: auth.config.tokens.issuer });
  });

  it('GET /api/admin-only: 403 forbidden for a user, 200 for an admin', async () => {
    const user = await newSession(auth.url, 'exuser');
    const denied = await call(api.url, 'GET', '/api/admin-only', { token: user.access_token });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ statusCode: 403, error: 'forbidden', message: 'This requires the admin role' });
    const admin = await login(auth.url, adminEmail);
    const allowed = await call(api.url, 'GET', '/api/admin-only', { token: admin.access_token });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ ok: true, sub: admin.user.id });
  });

  it('a missing token is 401 with a bare Bearer challenge; a bad one 401 with error="invalid_token"', async () => {
    const missing = await call(api.url, 'GET', '/api/hello');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.body).toEqual({ statusCode: 401, error: 'unauthorized', message: 'Authentication required' });
    for (const headers of [{ authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer' }]) {
      const res = await call(api.url, 'GET', '/api/admin-only', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    const s = await newSession(auth.url, 'exbad');
    for (const token of ['not-a-jwt', `${s.access_token}x`, s.refresh_token]) {
      const res = await call(api.url, 'GET', '/api/hello', { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(res.body).toEqual({ statusCode: 401, error: 'unauthorized', message: expect.stringMatching(/^Access token /) });
    }
  });

  it('GET /health/ready is 200; an unknown route is 404 in the error shape', async () => {
    expect(await call(api.url, 'GET', '/health/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call(api.url, 'GET', '/nope')).toMatchObject({ status: 404, body: { statusCode: 404, error: 'not_found', message: 'Not found' } });
  });

  it(`refuses a logged-out session's access token within its polling interval (${POLL_MS} ms)`, async () => {
    const s = await newSession(auth.url, 'exlogout');
    const other = await login(auth.url, s.email);
    expect((await call(api.url, 'GET', '/api/hello', { token: s.access_token })).status).toBe(200);
    expect((await call(auth.url, 'POST', '/api/auth/logout', { json: { refresh_token: s.refresh_token } })).status).toBe(204);
    const loggedOut = Date.now();
    let res = await call(api.url, 'GET', '/api/hello', { token: s.access_token });
    while (res.status === 200 && Date.now() - loggedOut < 10_000) {
      await new Promise((r) => setTimeout(r, 20));
      res = await call(api.url, 'GET', '/api/hello', { token: s.access_token });
    }
    const elapsed = Date.now() - loggedOut;
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ statusCode: 401, error: 'unauthorized', message: 'Session revoked' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    // One interval, plus the poll under way when the logout committed.
    expect(elapsed).toBeLessThan(2 * POLL_MS + 500);
    // The user's other session is untouched.
    expect((await call(api.url, 'GET', '/api/hello', { token: other.access_token })).status).toBe(200);
  });

  it('npm run start:example-api: the built app listens on PORT, answers /health/ready, and refuses a bad configuration', async () => {
    const env = { PATH: process.env.PATH ?? '', PORT: '0', AUTH_ISSUER: auth.config.tokens.issuer, AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json` };
    const child = spawn(process.execPath, [EXAMPLE_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const onData = (d: Buffer) => {
          out += d;
          const match = /Example API listening on (http:\/\/[\d.]+:\d+)/.exec(out);
          if (match) resolve(match[1]);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect((await call(url, 'GET', '/health/ready')).status).toBe(200);
      const s = await newSession(auth.url, 'exproc');
      expect((await call(url, 'GET', '/api/hello', { token: s.access_token })).body).toMatchObject({ sub: s.user.id });
    } finally {
      child.kill('SIGTERM');
    }
    const bad = spawn(process.execPath, [EXAMPLE_MAIN], { env: { ...env, PORT: 'x', AUTH_JWKS_URI: 'ftp://nope' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bad.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => bad.on('exit', r));
    expect(code).toBe(1);
    expect(stderr).toContain('Configuration error: PORT must be an integer');
    expect(stderr).toContain('Configuration error: AUTH_JWKS_URI must be an http(s) URL');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('while it closes, a request on a busy keep-alive connection is verified and answered, and its connection closes', async () => {
    const draining = await startExampleApi(auth);
    const s = await newSession(auth.url, 'exdrain');
    const request = await beginRequest(draining.url, 'GET', '/api/hello', { Authorization: `Bearer ${s.access_token}` });
    const closed = draining.app.close();
    await untilRefused(draining.url);
    const answer = await request.finish({}, '');
    await closed;
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK');
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body)).toEqual(claimsOf(s.access_token));
  });
});
