import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { ERROR_STATUS } from '../apps/auth-service/src/common/app-error';
import { RunningService, startAuthService } from './support/auth-service';
import { login, newSession } from './support/flows';
import { FuzzContext, FuzzRequest, FuzzResponse, fuzzRequest, send } from './support/fuzz-requests';
import { call, STRONG_PASSWORD } from './support/http';

/**
 * Property-based fuzzing over real HTTP (SPEC §2): whatever body, headers and query string reach
 * register, login, refresh, logout, revoke and the admin filters, the service answers within a
 * timeout, never with a 5xx, never logs an unexpected error, and every error is in the SPEC shape.
 * Seeded: FUZZ_SEED replays a run, FUZZ_PATH (with it) replays one failing case; FUZZ_RUNS sets its size.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const REQUEST_TIMEOUT_MS = 10_000;
const ADMIN = { email: 'fuzz-admin@example.com', password: 'admin pass phrase 1' };

// Limits and lockout off (SPEC §6 names them): the fuzzer looks for wrong answers, not for 429s.
const NO_LIMITS = { RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0', LOCKOUT_THRESHOLD: '0', LOCKOUT_IDENTIFIER_THRESHOLD: '0' };
const ERROR_MEMBERS = new Set(['statusCode', 'error', 'message', 'details', 'reason', 'request_id']);

/** What is wrong with this answer, or undefined when it holds (2xx bodies are not checked). */
export function shapeViolation(res: FuzzResponse): string | undefined {
  if (res.status >= 500) return `status ${res.status}`;
  if (res.status < 400) return res.status >= 200 && res.status < 300 ? undefined : `status ${res.status}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text);
  } catch {
    return 'an error body that is not JSON';
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'an error body that is not an object';
  const extra = Object.keys(body).filter((k) => !ERROR_MEMBERS.has(k));
  if (extra.length) return `unexpected members ${extra.join(', ')}`;
  if (body.statusCode !== res.status) return `statusCode ${String(body.statusCode)} for status ${res.status}`;
  if (typeof body.error !== 'string' || !(body.error in ERROR_STATUS)) return `error ${JSON.stringify(body.error)} is not a SPEC code`;
  if (ERROR_STATUS[body.error as keyof typeof ERROR_STATUS] !== res.status) return `error ${body.error} with status ${res.status}`;
  if (typeof body.message !== 'string' || body.message.length === 0) return 'no message';
  if (body.details !== undefined) {
    const ok = Array.isArray(body.details) && body.details.every((d) => d && typeof d.field === 'string' && typeof d.message === 'string' && Object.keys(d).length === 2);
    if (!ok) return 'details are not [{ field, message }]';
  }
  if ((body.error === 'invalid_grant') !== (typeof body.reason === 'string')) return 'reason only and always on invalid_grant';
  if (!res.contentType.startsWith('application/json')) return `content-type ${res.contentType}`;
  return undefined;
}

function describeRequest(req: FuzzRequest): string {
  const body = req.body ? JSON.stringify(req.body.toString('latin1').slice(0, 300)) : '(none)';
  return `${req.method} ${req.path.slice(0, 300)}\n  headers ${JSON.stringify(req.headers).slice(0, 4000)}\n  body ${body}`;
}

describe('fuzzing: no 5xx, no crash, no hang, every error in the SPEC shape', () => {
  let service: RunningService;
  let context: FuzzContext;

  beforeAll(async () => {
    service = await startAuthService({ ...NO_LIMITS, BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password });
    const admin = await call<{ access_token: string; user: { id: string } }>(service.url, 'POST', '/api/auth/login', { json: ADMIN });
    const users = await Promise.all([newSession(service.url, 'fuzz'), newSession(service.url, 'fuzz')]);
    const more = await login(service.url, users[0].email);
    context = {
      adminToken: admin.body.access_token,
      accessTokens: [...users.map((u) => u.access_token), more.access_token],
      refreshTokens: [...users.map((u) => u.refresh_token), more.refresh_token],
      userIds: [admin.body.user.id, ...users.map((u) => u.user.id)],
      emails: [ADMIN.email, ...users.map((u) => u.email)],
      password: STRONG_PASSWORD,
    };
  });
  afterAll(() => service?.close());

  it(`answers ${RUNS} generated requests (seed ${SEED}) within ${REQUEST_TIMEOUT_MS} ms each, in the SPEC shape`, async () => {
    const unexpected: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void unexpected.push(String(message)));
    let sent = 0;
    const tally = new Map<string, number>();
    const property = fc.asyncProperty(fuzzRequest(context), async (req) => {
      sent++;
      unexpected.length = 0;
      const res = await send(service.url, req, REQUEST_TIMEOUT_MS);
      const key = `${req.method} ${req.path.split('?')[0].replace(/^(\/api\/admin\/users\/).+/, '$1:id')} ${res.status}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      const violation = shapeViolation(res);
      if (violation) throw new Error(`${violation}: ${res.status} ${res.text.slice(0, 300)}`);
      if (unexpected.length) throw new Error(`the service logged an unexpected error: ${unexpected.join(' | ').slice(0, 500)}`);
    });
    const path = process.env.FUZZ_PATH;
    const details = await fc.check(property, { seed: SEED, numRuns: RUNS, ...(path ? { path } : {}), interruptAfterTimeLimit: 170_000 });
    spy.mockRestore();
    // What the run reached (how many requests got past validation), for whoever tunes the generators.
    process.stdout.write(`fuzz seed ${SEED}: ${[...tally].sort().map(([k, n]) => `${k} ×${n}`).join('; ')}\n`);
    if (details.failed) {
      const [req] = details.counterexample ?? [];
      const replay = `FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath}`;
      process.stderr.write(`\nFuzz failure, replay with ${replay}\n${req ? describeRequest(req) : ''}\n${String(details.errorInstance)}\n`);
      throw new Error(`fuzz failure (replay with ${replay}): ${String(details.errorInstance)}\n${req ? describeRequest(req) : ''}`);
    }
    expect(details.interrupted).toBe(false);
    expect(details.numRuns).toBe(path ? details.numRuns : RUNS);
    if (!path) expect(sent).toBeGreaterThanOrEqual(RUNS);
    // Still alive and answering after all of it.
    expect((await call(service.url, 'GET', '/health/live')).status).toBe(200);
  }, 200_000);
});
