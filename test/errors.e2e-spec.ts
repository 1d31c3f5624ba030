import { RunningService, startAuthService } from './support/auth-service';
import { call } from './support/http';

/** Every error leaves in one shape with a stable code, never a stack trace, SQL or a library's name (SPEC §2). */
describe('errors', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService();
  });
  afterAll(() => service?.close());

  const LEAKS = /at \w+ \(|node_modules|stack|QueryFailedError|typeorm|fastify|SELECT |INSERT |postgres|pglite|SyntaxError|Unexpected token/i;

  const cases: [string, () => Promise<{ status: number; text: string; body: Record<string, unknown> }>, number, string][] = [
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
  ];

  it.each(cases)('%s → %i %s in the SPEC shape', async (_, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, error: code, message: expect.any(String) });
    expect(Object.keys(res.body).every((k) => ['statusCode', 'error', 'message', 'details'].includes(k))).toBe(true);
    expect(res.text).not.toMatch(LEAKS);
  });

  it('answers 401 without a token with WWW-Authenticate: Bearer', async () => {
    const res = await call(service.url, 'GET', '/api/auth/me');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('sets security headers on every response', async () => {
    const res = await call(service.url, 'GET', '/health/live');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('answers a database failure with 503 unavailable, never 500 with internals', async () => {
    const other = await startAuthService();
    try {
      // Break the connection under the running service: every query now fails at the driver.
      const driver = other.dataSource.driver as unknown as { master: { options: { connectionTimeoutMillis: number }; end(): Promise<void> } };
      await driver.master.end();
      const res = await call(other.url, 'POST', '/api/auth/login', { json: { email: 'a@b.co', password: 'whatever 123' } });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.body).toMatchObject({ statusCode: res.status, error: expect.stringMatching(/^(unavailable|internal_error)$/) });
      expect(res.text).not.toMatch(LEAKS);
      const ready = await call(other.url, 'GET', '/health/ready');
      expect(ready.status).toBe(503);
    } finally {
      await other.close().catch(() => undefined);
    }
  });
});
