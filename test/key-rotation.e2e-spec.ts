import type { SigningKeyItem } from '../apps/auth-service/src/keys/key-rotation.service';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { KeyRotation } from '../apps/auth-service/src/keys/key-rotation.service';
import { NEXT_KEY_LEAD_SECONDS } from '../apps/auth-service/src/keys/rotation';
import { RunningService, startAuthService } from './support/auth-service';
import { createTestDatabase, TestDatabase } from './support/databases';
import { login, newSession, refresh } from './support/flows';
import { call } from './support/http';
import { startProcess } from './support/process';
import { BASE_ENV, usingPostgres } from './support/test-env';

// The tests sign in often (every look at the keys is an admin call): no login rate limit here.
const ADMIN = { BOOTSTRAP_ADMIN_EMAIL: 'keys-admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1', RATE_LIMIT_LOGIN: '0' };
const CLI = join(__dirname, '../dist/apps/auth-service/apps/auth-service/src/cli/keys-rotate.js');

type KeyItem = SigningKeyItem;

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')).kid;
const algOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')).alg;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function adminToken(url: string): Promise<string> {
  const res = await call<{ access_token: string }>(url, 'POST', '/api/auth/login', { json: { email: ADMIN.BOOTSTRAP_ADMIN_EMAIL, password: ADMIN.BOOTSTRAP_ADMIN_PASSWORD } });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

async function jwksKids(url: string): Promise<string[]> {
  const res = await call<{ keys: { kid: string }[] }>(url, 'GET', '/.well-known/jwks.json');
  expect(res.status).toBe(200);
  return res.body.keys.map((k) => k.kid).sort();
}

async function keyList(url: string): Promise<KeyItem[]> {
  const res = await call<{ items: KeyItem[] }>(url, 'GET', '/api/admin/keys', { token: await adminToken(url) });
  expect(res.status).toBe(200);
  return res.body.items;
}

const inState = (items: KeyItem[], state: string) => items.filter((k) => k.state === state).map((k) => k.kid).sort();
const me = async (url: string, token: string) => (await call(url, 'GET', '/api/auth/me', { token })).status;

/** The JWKS holds exactly the keys that are next, active or retiring, and never a retired one. */
async function expectJwksMatchesStates(url: string): Promise<KeyItem[]> {
  const items = await keyList(url);
  expect(inState(items, 'active')).toHaveLength(1);
  expect(inState(items, 'next')).toHaveLength(1);
  expect(await jwksKids(url)).toEqual([...inState(items, 'next'), ...inState(items, 'active'), ...inState(items, 'retiring')].sort());
  return items;
}

/** Fakes the wait: the `next` key looks published for the whole lead time. */
async function ageNextKey(service: RunningService): Promise<void> {
  await service.dataSource.query(`UPDATE signing_keys SET created_at = now() - make_interval(secs => $1) WHERE status = 'next'`, [NEXT_KEY_LEAD_SECONDS + 1]);
}

function runCli(env: Record<string, string>, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...BASE_ENV, ...ADMIN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Polls until `check` holds; returns how long it took (ms), or fails after `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`did not hold within ${limitMs} ms`);
    await sleep(250);
  }
  return Date.now() - started;
}

describe('signing-key lifecycle (SPEC §7)', () => {
  let database: TestDatabase;
  let service: RunningService;

  beforeAll(async () => {
    database = await createTestDatabase();
    service = await startAuthService(ADMIN, database);
  });
  afterAll(async () => {
    await service?.stop();
    await database.drop();
  });

  it('publishes a next key beside the active one, and lists the keys to admins only, public parts only', async () => {
    const items = await expectJwksMatchesStates(service.url);
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item).toMatchObject({ alg: 'RS256', created_at: expect.any(String) });
      expect(JSON.stringify(item)).not.toMatch(/"(d|p|q|dp|dq|qi|k)"|private/);
    }
    const user = await newSession(service.url, 'keys-user');
    expect((await call(service.url, 'GET', '/api/admin/keys', { token: user.access_token })).status).toBe(403);
    expect((await call(service.url, 'POST', '/api/admin/keys/rotate', { token: user.access_token, json: {} })).status).toBe(403);
    const anonymous = await call(service.url, 'GET', '/api/admin/keys');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: 'unauthorized' });
  });

  it('admin rotation: 409 with the seconds to wait while the next key is young, then promotes it; old tokens stay valid', async () => {
    const user = await newSession(service.url, 'keys-admin-rotate');
    const before = await keyList(service.url);
    const token = await adminToken(service.url);
    expect((await call(service.url, 'POST', '/api/admin/keys/rotate', { token, json: { urgent: 'yes' } })).status).toBe(400);
    expect((await call(service.url, 'POST', '/api/admin/keys/rotate', { token, json: { force: true } })).status).toBe(400);

    const early = await call<{ retry_after: number }>(service.url, 'POST', '/api/admin/keys/rotate', { token, json: {} });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ statusCode: 409, error: 'key_rotation_too_early', retry_after: expect.any(Number) });
    expect(early.body.retry_after).toBeGreaterThan(0);
    expect(early.body.retry_after).toBeLessThanOrEqual(NEXT_KEY_LEAD_SECONDS);
    expect(early.headers.get('retry-after')).toBe(String(early.body.retry_after));
    expect(await keyList(service.url)).toEqual(before);

    await ageNextKey(service);
    const rotated = await call<{ kid: string }>(service.url, 'POST', '/api/admin/keys/rotate', { token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.kid).toBe(inState(before, 'next')[0]);
    const after = await expectJwksMatchesStates(service.url);
    expect(inState(after, 'active')).toEqual([rotated.body.kid]);
    expect(inState(after, 'retiring')).toEqual(inState(before, 'active'));
    expect(after.find((k) => k.state === 'retiring')?.retiring_at).toEqual(expect.any(String));
    // The token signed by the old key still verifies; new tokens carry the new key.
    expect(await me(service.url, user.access_token)).toBe(200);
    expect(kidOf((await login(service.url, user.email)).access_token)).toBe(rotated.body.kid);

    const events = await call<{ items: { details: Record<string, unknown> }[] }>(service.url, 'GET', '/api/admin/security-logs?event_type=signing_key_rotated', { token });
    const adminId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).sub;
    expect(events.body.items[0].details).toMatchObject({ kid: rotated.body.kid, previous_kid: inState(before, 'active')[0], urgent: false, reason: 'manual', actor_id: adminId });
  });

  it('urgent rotation: the leaked key leaves the JWKS and stops verifying at once; sessions continue through refresh', async () => {
    const user = await newSession(service.url, 'keys-urgent');
    const leaked = kidOf(user.access_token);
    expect(await me(service.url, user.access_token)).toBe(200);
    const token = await adminToken(service.url);
    // No wait for the next key's lead: the key leaked.
    const rotated = await call<{ kid: string }>(service.url, 'POST', '/api/admin/keys/rotate', { token, json: { urgent: true } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.kid).not.toBe(leaked);
    const items = await expectJwksMatchesStates(service.url);
    expect(inState(items, 'retired')).toContain(leaked);
    expect(await jwksKids(service.url)).not.toContain(leaked);

    const refused = await call(service.url, 'GET', '/api/auth/me', { token: user.access_token });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'unauthorized' });
    const renewed = await refresh(service.url, user.refresh_token);
    expect(renewed.status).toBe(200);
    expect(kidOf(renewed.body.access_token)).toBe(rotated.body.kid);
    expect(await me(service.url, renewed.body.access_token)).toBe(200);

    const events = await call<{ items: { details: Record<string, unknown> }[] }>(service.url, 'GET', '/api/admin/security-logs?event_type=signing_key_rotated', { token: await adminToken(service.url) });
    expect(events.body.items[0].details).toMatchObject({ kid: rotated.body.kid, previous_kid: leaked, urgent: true, reason: 'urgent' });
  });

  it('npm run keys:rotate: refuses while the next key is young (exit 75), rotates once it is not, and --urgent does not wait', async () => {
    const user = await newSession(service.url, 'keys-cli');
    const before = await keyList(service.url);
    // The embedded database serves one process (the DATA_DIR lock): the command runs with the service stopped.
    await service.stop();
    const early = await runCli(database.env, []);
    expect(early.code).toBe(75);
    expect(early.stderr).toMatch(/retry in \d+ s/);
    const wrong = await runCli(database.env, ['--now']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Unknown argument/);

    service = await startAuthService(ADMIN, database);
    await ageNextKey(service);
    await service.stop();
    const done = await runCli(database.env, []);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    const promoted = inState(before, 'next')[0];
    expect(done.stdout).toContain(`Signing key ${promoted} is now active`);

    service = await startAuthService(ADMIN, database);
    const after = await expectJwksMatchesStates(service.url);
    expect(inState(after, 'active')).toEqual([promoted]);
    expect(inState(after, 'retiring')).toContain(inState(before, 'active')[0]);
    expect(await me(service.url, user.access_token)).toBe(200);
    const signedByPromoted = await login(service.url, user.email);
    expect(kidOf(signedByPromoted.access_token)).toBe(promoted);

    await service.stop();
    const urgent = await runCli(database.env, ['--urgent']);
    expect(urgent.code).toBe(0);
    service = await startAuthService(ADMIN, database);
    expect(await jwksKids(service.url)).not.toContain(promoted);
    expect(await me(service.url, signedByPromoted.access_token)).toBe(401);
    expect((await refresh(service.url, signedByPromoted.refresh_token)).status).toBe(200);
    const events: { details: Record<string, unknown> }[] = await service.dataSource.query(
      `SELECT details FROM security_logs WHERE event_type = 'signing_key_rotated' ORDER BY id DESC LIMIT 2`,
    );
    expect(events.map((e) => e.details)).toEqual([
      expect.objectContaining({ via: 'cli', urgent: true, previous_kid: promoted }),
      expect.objectContaining({ via: 'cli', urgent: false, kid: promoted }),
    ]);
  });

  it('scheduled rotation (KEY_ROTATION_DAYS): promotes the next key when due, retires the old one after ACCESS_TOKEN_TTL + 5 minutes', async () => {
    const user = await newSession(service.url, 'keys-scheduled');
    const rotation = service.app.get(KeyRotation);
    const before = await keyList(service.url);
    const [oldKid] = inState(before, 'active');
    const activatedAt = Date.parse(before.find((k) => k.state === 'active')?.activated_at ?? '');
    const day = 86_400_000;

    // The job, run by the clock the test gives it. Just before KEY_ROTATION_DAYS (30): the same
    // active and next keys (the retiring keys of the earlier tests have retired by then).
    await rotation.runScheduled(new Date(activatedAt + 30 * day - 60_000));
    const notYet = await expectJwksMatchesStates(service.url);
    expect(inState(notYet, 'active')).toEqual([oldKid]);
    expect(inState(notYet, 'next')).toEqual(inState(before, 'next'));
    expect(inState(notYet, 'retiring')).toEqual([]);

    const dueAt = activatedAt + 30 * day;
    await rotation.runScheduled(new Date(dueAt));
    const rotated = await expectJwksMatchesStates(service.url);
    const [newKid] = inState(rotated, 'active');
    expect(newKid).toBe(inState(before, 'next')[0]);
    expect(inState(rotated, 'retiring')).toEqual([oldKid]);
    expect(await me(service.url, user.access_token)).toBe(200);
    expect(kidOf((await login(service.url, user.email)).access_token)).toBe(newKid);

    // ACCESS_TOKEN_TTL (900 s) + 5 minutes later, minus a second: still published.
    await rotation.runScheduled(new Date(dueAt + (900 + 300 - 1) * 1000));
    expect(await jwksKids(service.url)).toContain(oldKid);
    await rotation.runScheduled(new Date(dueAt + (900 + 300) * 1000));
    const retired = await expectJwksMatchesStates(service.url);
    expect(inState(retired, 'retired')).toContain(oldKid);
    expect(await jwksKids(service.url)).not.toContain(oldKid);
    expect(await me(service.url, user.access_token)).toBe(401);
    const events: { details: Record<string, unknown> }[] = await service.dataSource.query(
      `SELECT details FROM security_logs WHERE event_type = 'signing_key_rotated' ORDER BY id DESC LIMIT 1`,
    );
    expect(events[0].details).toMatchObject({ reason: 'scheduled', via: 'schedule', kid: newKid, previous_kid: oldKid, urgent: false });
    expect(events[0].details).not.toHaveProperty('actor_id');
  });
});

describe('a change of JWT_ALG is a rotation to a key of the new algorithm (SPEC §3, §7)', () => {
  it('publishes the new key first, then signs with it; tokens of the old algorithm stay valid until they expire', async () => {
    const database = await createTestDatabase();
    let service = await startAuthService({ JWT_ALG: 'RS256' }, database);
    try {
      const user = await newSession(service.url, 'alg-change');
      expect(algOf(user.access_token)).toBe('RS256');
      await service.stop();

      service = await startAuthService({ JWT_ALG: 'ES256' }, database);
      const keys = await service.dataSource.query(`SELECT kid, alg, status FROM signing_keys WHERE status <> 'retired' ORDER BY created_at`);
      expect(keys.map((k: { alg: string; status: string }) => `${k.alg}:${k.status}`)).toEqual(['RS256:active', 'ES256:next']);
      expect(await jwksKids(service.url)).toEqual(keys.map((k: { kid: string }) => k.kid).sort());
      // Until the ES256 key has been published for the lead time, the RS256 key keeps signing.
      expect(algOf((await login(service.url, user.email)).access_token)).toBe('RS256');

      await service.app.get(KeyRotation).runScheduled(new Date(Date.now() + NEXT_KEY_LEAD_SECONDS * 1000));
      const fresh = await login(service.url, user.email);
      expect(algOf(fresh.access_token)).toBe('ES256');
      expect(await me(service.url, fresh.access_token)).toBe(200);
      expect(await me(service.url, user.access_token)).toBe(200);
      const now = await service.dataSource.query(`SELECT alg, status FROM signing_keys WHERE status <> 'retired' ORDER BY created_at`);
      expect(now.map((k: { alg: string; status: string }) => `${k.alg}:${k.status}`)).toEqual(['RS256:retiring', 'ES256:active', 'ES256:next']);
      const jwks = await call<{ keys: { alg: string }[] }>(service.url, 'GET', '/.well-known/jwks.json');
      expect(jwks.body.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'ES256', 'RS256']);
    } finally {
      await service.stop();
      await database.drop();
    }
  });
});

describe('several instances', () => {
  (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) a second instance signs with the new key, and refuses an urgently retired one, within 10 s', async () => {
    const a = await startAuthService(ADMIN);
    // A process of its own, as a second instance of a deployment runs.
    const b = await startProcess({ ...ADMIN, ...a.database.env });
    try {
      const user = await newSession(b.url, 'keys-two');
      await ageNextKey(a);
      const rotated = await call<{ kid: string }>(a.url, 'POST', '/api/admin/keys/rotate', { token: await adminToken(a.url) });
      expect(rotated.status).toBe(200);
      const tookMs = await within(10_000, async () => kidOf((await login(b.url, user.email)).access_token) === rotated.body.kid);
      process.stdout.write(`[key-rotation] second instance signed with the new key after ${tookMs} ms\n`);
      expect(await me(b.url, user.access_token)).toBe(200);
      expect(await jwksKids(b.url)).toEqual(await jwksKids(a.url));

      const current = await login(b.url, user.email);
      const urgent = await call<{ kid: string }>(a.url, 'POST', '/api/admin/keys/rotate', { token: await adminToken(a.url), json: { urgent: true } });
      expect(urgent.status).toBe(200);
      expect(await me(a.url, current.access_token)).toBe(401);
      const refusedMs = await within(10_000, async () => (await me(b.url, current.access_token)) === 401);
      process.stdout.write(`[key-rotation] second instance refused the retired key after ${refusedMs} ms\n`);
      expect(await jwksKids(b.url)).toEqual(await jwksKids(a.url));
      expect((await refresh(b.url, current.refresh_token)).status).toBe(200);
    } finally {
      await b.stop();
      await a.close();
    }
  });
});
