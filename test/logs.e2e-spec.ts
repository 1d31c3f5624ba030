import { connect } from 'node:net';
import { createTestDatabase, TestDatabase } from './support/databases';
import { call, JsonResponse, STRONG_PASSWORD, uniqueEmail } from './support/http';
import { ServiceProcess, startProcess } from './support/process';

/**
 * Structured logs (issue 9 point 5, SPEC §6): the built service, a full flow, and its whole output
 * searched for every secret the flow used.
 */
describe('structured logs of the running service', () => {
  let db: TestDatabase;
  let service: ServiceProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startProcess({ ...db.env, REFRESH_REUSE_GRACE: '0' });
  });
  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  it('writes JSON lines with the request id, and no password or token the flow used', async () => {
    const email = uniqueEmail('logs');
    const newPassword = 'another long pass phrase 77';
    const wrongPassword = 'not the right pass phrase 13';
    const responses: JsonResponse[] = [];
    const send = async (method: string, path: string, options: Parameters<typeof call>[3] = {}) => {
      const res = await call(service.url, method, path, options);
      responses.push(res);
      return res;
    };

    expect((await send('POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } })).status).toBe(201);
    const login = await send('POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD }, headers: { 'x-request-id': 'trace-login.1' } });
    expect(login.status).toBe(200);
    expect(login.headers.get('x-request-id')).toBe('trace-login.1');
    const first = login.body as { access_token: string; refresh_token: string };
    const refreshed = await send('POST', '/api/auth/refresh', { json: { refresh_token: first.refresh_token } });
    expect(refreshed.status).toBe(200);
    const second = refreshed.body as { access_token: string; refresh_token: string };
    // Secrets where a careless logger would pick them up: a query string, a cookie, the Authorization header.
    expect((await send('GET', `/api/auth/me?access_token=${second.access_token}`, { token: second.access_token, headers: { cookie: `rt=${second.refresh_token}` } })).status).toBe(200);
    const failed = await send('POST', '/api/auth/login', { json: { email, password: wrongPassword }, headers: { 'x-request-id': 'bad id with spaces' } });
    expect(failed.status).toBe(401);
    // An invalid incoming id is replaced, and the error body carries the one the logs use.
    expect(failed.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(failed.body.request_id).toBe(failed.headers.get('x-request-id'));
    expect((await send('POST', '/api/auth/password', { token: second.access_token, json: { current_password: STRONG_PASSWORD, new_password: newPassword } })).status).toBe(204);
    const again = await send('POST', '/api/auth/login', { json: { email, password: newPassword } });
    expect(again.status).toBe(200);
    const third = again.body as { access_token: string; refresh_token: string };
    expect((await send('POST', '/api/auth/logout', { json: { refresh_token: third.refresh_token } })).status).toBe(204);
    // A refresh token in a body that fails validation, and one presented again (reuse).
    expect((await send('POST', '/api/auth/refresh', { json: { refresh_token: first.refresh_token, extra: third.access_token } })).status).toBe(400);
    expect((await send('POST', '/api/auth/refresh', { json: { refresh_token: first.refresh_token } })).status).toBe(401);

    // Let the last request lines reach the pipe.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const output = service.output();
    const secrets = [STRONG_PASSWORD, newPassword, wrongPassword, first, second, third].flatMap((s) =>
      typeof s === 'string' ? [s] : [s.access_token, s.refresh_token, s.refresh_token.slice(3)],
    );
    for (const secret of secrets) expect(output.includes(secret) ? secret : 'absent').toBe('absent');

    const lines = output.split('\n').filter((line) => line.trim() !== '');
    const records = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
    for (const record of records) {
      expect(typeof record.msg).toBe('string');
      expect(typeof record.time).toBe('string');
      if ('req' in record) expect(typeof record.request_id).toBe('string');
    }
    // One request line per request, with the id its response echoed.
    const requestIds = records.filter((r) => r.msg === 'request completed').map((r) => r.request_id);
    for (const res of responses) expect(requestIds).toContain(res.headers.get('x-request-id'));
    const loginLine = records.find((r) => r.request_id === 'trace-login.1');
    expect(loginLine).toMatchObject({ level: 'info', req: { method: 'POST', path: '/api/auth/login' }, res: { status_code: 200 } });
    const meLine = records.find((r) => (r.req as { path?: string } | undefined)?.path === '/api/auth/me');
    expect(meLine).toBeDefined();
    expect(JSON.stringify(meLine)).not.toMatch(/access_token|cookie|authorization/i);
  });
  it('logs a request whose client went away before the answer as `request aborted`, with its id', async () => {
    const { hostname, port } = new URL(service.url);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    // Half a body, then the connection closes: no answer can be sent.
    socket.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nX-Request-Id: trace-abort.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email"');
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      line = service
        .output()
        .split('\n')
        .filter((text) => text.includes('trace-abort.1'))
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((record) => record.msg === 'request aborted');
    }
    expect(line).toMatchObject({ level: 'warn', request_id: 'trace-abort.1', req: { method: 'POST', path: '/api/auth/login' } });
    // The cut body is the client's doing: no error line, no stack.
    expect(service.output().split('\n').filter((text) => text.includes('trace-abort.1') && text.includes('"level":"error"'))).toEqual([]);
  });
});
