import { RunningService, startAuthService } from './support/auth-service';
import { createTestDatabase } from './support/databases';
import { usingPostgres } from './support/test-env';
import { newSession } from './support/flows';
import { call } from './support/http';
import { TcpProxy } from './support/tcp-proxy';

/** Every error leaves in one shape with a stable code, never a stack trace, SQL or a library's name (SPEC §2). */
describe('errors', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService();
  });
  afterAll(() => service?.close());

  const JSON_TYPE = { 'content-type': 'application/json' };
  const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };
  /** Bytes as they are (call() sends text, which fetch encodes as UTF-8). */
  async function rawPost(path: string, body: Buffer, contentType: string): Promise<{ status: number; text: string; body: Record<string, unknown>; headers: Headers }> {
    const res = await fetch(`${service.url}${path}`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text), headers: res.headers };
  }

  it('accepts an explicit charset=utf-8 and a body starting with a byte-order mark', async () => {
    const res = await call(service.url, 'POST', '/api/auth/refresh', { body: '\uFEFF{"refresh_token":"rt_x"}', headers: { 'content-type': 'application/json; charset=UTF-8' } });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_grant', reason: 'unknown' });
  });

  const LEAKS = /at \w+ \(|node_modules|stack|QueryFailedError|typeorm|fastify|SELECT |INSERT |postgres|pglite|SyntaxError|Unexpected token/i;

  const cases: [string, () => Promise<{ status: number; text: string; body: Record<string, unknown>; headers: Headers }>, number, string][] = [
    ['invalid JSON', () => call(service.url, 'POST', '/api/auth/login', { body: '{"email": ', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json'],
    ['a JSON array body', () => call(service.url, 'POST', '/api/auth/login', { body: '[1,2]', headers: { 'content-type': 'application/json' } }), 400, 'validation_failed'],
    ['a JSON string body', () => call(service.url, 'POST', '/api/auth/login', { body: '"hi"', headers: { 'content-type': 'application/json' } }), 400, 'validation_failed'],
    ['an empty JSON body', () => call(service.url, 'POST', '/api/auth/login', { body: '', headers: { 'content-type': 'application/json' } }), 400, 'validation_failed'],
    ['__proto__ in the body', () => call(service.url, 'POST', '/api/auth/register', { body: '{"email":"a@b.co","password":"x","__proto__":{"roles":["admin"]}}', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json'],
    ['text/plain', () => call(service.url, 'POST', '/api/auth/login', { body: 'email=a', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
    ['a form body on a JSON route', () => call(service.url, 'POST', '/api/auth/login', { body: 'email=a&password=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type'],
    ['a body over 16 KiB', () => call(service.url, 'POST', '/api/auth/register', { json: { email: 'a@b.co', password: 'x'.repeat(17 * 1024) } }), 413, 'payload_too_large'],
    ['an unknown route', () => call(service.url, 'GET', '/api/nothing-here'), 404, 'not_found'],
    ['a wrong method', () => call(service.url, 'DELETE', '/api/auth/login'), 404, 'not_found'],
    ['a path with a bad percent-encoding', () => call(service.url, 'GET', '/api/auth/%E0%A4%A'), 400, 'validation_failed'],
    ['no token on /me', () => call(service.url, 'GET', '/api/auth/me'), 401, 'unauthorized'],
    // Deep nesting would overflow the recursive walks behind validation: refused before them.
    ['arrays nested 1300 deep', () => call(service.url, 'POST', '/api/auth/refresh', { body: `{"x":${'['.repeat(1300)}${']'.repeat(1300)}}`, headers: JSON_TYPE }), 400, 'validation_failed'],
    ['objects nested 40 deep', () => call(service.url, 'POST', '/api/auth/login', { body: `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`, headers: JSON_TYPE }), 400, 'validation_failed'],
    ['bytes that are not UTF-8', () => rawPost('/api/auth/refresh', Buffer.concat([Buffer.from('{"refresh_token":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), 'application/json'), 400, 'invalid_json'],
    ['a charset other than UTF-8', () => call(service.url, 'POST', '/api/auth/refresh', { body: '{"refresh_token":"rt_x"}', headers: { 'content-type': 'application/json; charset=utf-16' } }), 415, 'unsupported_media_type'],
    ['a NUL byte in a name', () => call(service.url, 'POST', '/api/auth/register', { json: { email: 'nul-name@example.com', password: 'correct horse battery staple', name: 'a\u0000b' } }), 400, 'validation_failed'],
    ['a lone surrogate in a name', () => call(service.url, 'POST', '/api/auth/register', { json: { email: 'surrogate-name@example.com', password: 'correct horse battery staple', name: '\udc00x' } }), 400, 'validation_failed'],
    ['a name of 60 emoji with variation selectors (120 code points)', () => call(service.url, 'POST', '/api/auth/register', { json: { email: 'emoji-name@example.com', password: 'correct horse battery staple', name: '\u2764\uFE0F'.repeat(60) } }), 400, 'validation_failed'],
    ['a member named like an inherited method', () => call(service.url, 'POST', '/api/auth/register', { json: { email: 'ctor@example.com', password: 'correct horse battery staple', constructor: true } }), 400, 'validation_failed'],
    ['toString in a body', () => call(service.url, 'POST', '/api/auth/refresh', { json: { refresh_token: 'rt_x', toString: 1 } }), 400, 'validation_failed'],
    ['a query parameter named like an inherited method', () => call(service.url, 'GET', '/api/auth/me?hasOwnProperty=1'), 400, 'validation_failed'],
    ['__proto__ in a form body', () => call(service.url, 'POST', '/api/auth/revoke', { body: 'token=a&__proto__=b', headers: FORM_TYPE }), 400, 'validation_failed'],
  ];

  it.each(cases)('%s → %i %s in the SPEC shape', async (_, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, error: code, message: expect.any(String) });
    expect(Object.keys(res.body).every((k) => ['statusCode', 'error', 'message', 'details', 'request_id'].includes(k))).toBe(true);
    expect(res.text).not.toMatch(LEAKS);
    // The id of the request's log lines, as the response header says.
    expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('answers 401 without a token with WWW-Authenticate: Bearer', async () => {
    const res = await call(service.url, 'GET', '/api/auth/me');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('stays ready while the configured Redis does not answer, says `redis: down`, and keeps signing in', async () => {
    const other = await startAuthService({ REDIS_URL: 'redis://127.0.0.1:1' }, undefined);
    try {
      const res = await call(other.url, 'GET', '/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', database: 'up', redis: 'down' });
      expect((await call(other.url, 'GET', '/health/live')).status).toBe(200);
      const session = await newSession(other.url, 'noredis');
      expect((await call(other.url, 'GET', '/api/auth/me', { token: session.access_token })).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  (process.env.TEST_REDIS_URL ? it : it.skip)('(needs TEST_REDIS_URL) is ready with a reachable Redis', async () => {
    const other = await startAuthService({ REDIS_URL: process.env.TEST_REDIS_URL as string });
    try {
      const res = await call(other.url, 'GET', '/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', database: 'up', redis: 'up' });
    } finally {
      await other.close();
    }
  });

  it('says Redis is not configured when REDIS_URL is unset', async () => {
    expect((await call(service.url, 'GET', '/health/ready')).body).toEqual({ status: 'ok', database: 'up', redis: 'not_configured' });
  });

  it('sets security headers on every response', async () => {
    const res = await call(service.url, 'GET', '/health/live');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) answers with 503 unavailable while PostgreSQL is unreachable, and recovers', async () => {
    const target = new URL(process.env.TEST_DATABASE_URL as string);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const db = await createTestDatabase();
    const other = await startAuthService({ DATABASE_URL: proxy.via(db.env.DATABASE_URL) }, db);
    try {
      expect((await call(other.url, 'GET', '/health/ready')).status).toBe(200);
      await proxy.cut();
      const res = await call(other.url, 'POST', '/api/auth/login', { json: { email: 'a@b.co', password: 'whatever 123' } });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ statusCode: 503, error: 'unavailable', message: 'Service temporarily unavailable', request_id: expect.any(String) });
      expect(res.text).not.toMatch(LEAKS);
      expect((await call(other.url, 'GET', '/health/ready')).status).toBe(503);
      expect((await call(other.url, 'GET', '/health/live')).status).toBe(200);
      // The proxy comes back on the same port: the service recovers without a restart.
      await proxy.restore();
      expect((await call(other.url, 'GET', '/health/ready')).status).toBe(200);
    } finally {
      await proxy.close();
      await other.close();
    }
  });
});
