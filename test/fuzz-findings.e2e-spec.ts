import { connect } from 'node:net';
import { RunningService, startAuthService } from './support/auth-service';

/** Regression tests for what test/fuzz.e2e-spec.ts found, each in the SPEC §2 error shape. */
describe('fuzz findings', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startAuthService();
  });
  afterAll(() => service?.close());

  /** Raw bytes on a socket: no client library cleans the request up before it leaves. */
  function rawRequest(bytes: Buffer): Promise<{ status: number; headers: string; body: unknown }> {
    const { port } = new URL(service.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes));
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const [head, body] = text.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), headers: head, body: body ? JSON.parse(body) : undefined });
      });
    });
  }

  it('a raw non-ASCII byte in the query string (refused by Node’s parser): 400 in the SPEC shape, not Fastify’s', async () => {
    const res = await rawRequest(Buffer.concat([Buffer.from('GET /api/admin/users?%40'), Buffer.from([0xe9]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'validation_failed', message: 'Malformed HTTP request' });
    expect(res.headers).toMatch(/content-type: application\/json/i);
  });

  it('a malformed request line: 400 in the SPEC shape', async () => {
    const res = await rawRequest(Buffer.from('NOT A REQUEST\r\n\r\n'));
    expect(res.body).toEqual({ statusCode: 400, error: 'validation_failed', message: 'Malformed HTTP request' });
  });

  it('headers over the size limit: 431 payload_too_large in the SPEC shape', async () => {
    const res = await rawRequest(Buffer.from(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(res.status).toBe(431);
    expect(res.body).toEqual({ statusCode: 431, error: 'payload_too_large', message: 'Request headers are too large' });
  });
});
