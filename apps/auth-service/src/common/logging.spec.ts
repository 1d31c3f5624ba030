import { Writable } from 'node:stream';
import { createRootLogger, requestIdOf } from './logging';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('log redaction (SPEC §6)', () => {
  it('replaces password, token, cookie and authorization fields at any depth', () => {
    const { stream, lines } = capture();
    const logger = createRootLogger(['log'], stream);
    logger.info(
      {
        password: 'p1',
        body: { refresh_token: 'r1', nested: [{ new_password: 'p2', accessToken: 'a1', note: 'kept' }] },
        req: { headers: { authorization: 'Bearer a2', cookie: 'rt=r2', 'user-agent': 'ua' } },
        res: { headers: { 'set-cookie': 'rt=r3' } },
      },
      'event',
    );
    const [line] = lines();
    const text = JSON.stringify(line);
    for (const secret of ['p1', 'p2', 'r1', 'r2', 'r3', 'a1', 'a2']) expect(text).not.toContain(`"${secret}"`);
    expect(text).not.toContain('Bearer');
    expect(line).toMatchObject({ level: 'info', msg: 'event', body: { nested: [{ note: 'kept', new_password: '[Redacted]' }] }, req: { headers: { 'user-agent': 'ua' } } });
  });

  it('honours the levels the caller asked for, and silence', () => {
    const quiet = capture();
    const logger = createRootLogger(['error'], quiet.stream);
    logger.info('hidden');
    logger.error('shown');
    expect(quiet.lines().map((l) => l.msg)).toEqual(['shown']);
    expect(createRootLogger(false, capture().stream).level).toBe('silent');
  });
});

describe('request ids', () => {
  it('keeps a sane incoming X-Request-Id and replaces anything else with a UUID', () => {
    expect(requestIdOf('abc-123_x.y')).toBe('abc-123_x.y');
    expect(requestIdOf('a'.repeat(64))).toBe('a'.repeat(64));
    for (const bad of [undefined, '', 'a'.repeat(65), 'has space', 'line\nbreak', '{"json":1}', ['a', 'b']]) {
      expect(requestIdOf(bad)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
