import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AddEmailLookalikeGuards1764310000000 } from '../apps/auth-service/src/database/migrations/1764310000000-AddEmailLookalikeGuards';
import { RunningService, startAuthService } from './support/auth-service';
import { createTestDatabase } from './support/databases';
import { runUntilExit, startProcess } from './support/process';
import { call, STRONG_PASSWORD } from './support/http';
import { NO_RATE_LIMITS } from './support/test-env';

const ADMIN = { email: 'lookalike-admin@example.com', password: 'admin pass phrase 1' };

describe('look-alike accounts and IDN addresses (SPEC §2)', () => {
  let service: RunningService;
  let n = 0;
  /** A domain of its own per test: the tests share one database. */
  const domain = () => `d${++n}-${process.pid}.example`;

  beforeAll(async () => {
    service = await startAuthService({ ...NO_RATE_LIMITS, BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password });
  });
  afterAll(() => service?.close());

  const register = (email: string) => call(service.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
  const login = (email: string) => call(service.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } });
  const TAKEN = { statusCode: 409, error: 'email_taken', message: 'An account with this email already exists', request_id: expect.any(String) };

  it('refuses an all-Cyrillic look-alike of an existing address, and the other way round', async () => {
    const d = domain();
    expect((await register(`apex@${d}`)).status).toBe(201);
    const twin = await register(`арех@${d}`); // а р е х: Cyrillic letters only
    expect(twin.status).toBe(409);
    expect(twin.body).toEqual(TAKEN);

    expect((await register(`рор@${d}`)).status).toBe(201); // Cyrillic р о р first
    expect((await register(`pop@${d}`)).body).toEqual(TAKEN); // then its ASCII twin
  });

  it('refuses look-alikes through the domain and through full-width letters', async () => {
    const d = domain();
    expect((await register(`admin@${d}`)).status).toBe(201);
    const cyrillicDomain = `admin@${d.replace(/e/g, 'е')}`; // Cyrillic е in the domain
    expect((await register(cyrillicDomain)).body).toEqual(TAKEN);
    expect((await register(`ａｄｍｉｎ@${d}`)).body).toEqual(TAKEN);
  });

  it('keeps pure-ASCII addresses exact: modern and modem are two accounts', async () => {
    const d = domain();
    expect((await register(`modern@${d}`)).status).toBe(201);
    expect((await register(`modem@${d}`)).status).toBe(201);
    expect((await register(`rnodem@${d}`)).status).toBe(201);
    expect((await register(`mоdem@${d}`)).status).toBe(400); // Cyrillic о among Latin letters: mixed
  });

  it('treats an IDN and its punycode form as one address, for registration and login', async () => {
    const label = `exämple${n++}`;
    const unicode = `josé@${label}.de`;
    const created = await register(unicode);
    expect(created.status).toBe(201);
    expect((created.body.user as { email: string }).email).toBe(unicode); // stored as typed

    const { toASCII } = await import('tr46');
    const punycode = `josé@${toASCII(`${label}.de`)}`;
    expect(punycode).toMatch(/@xn--/);
    expect((await register(punycode)).body).toEqual(TAKEN);

    const byUnicode = await login(unicode.toUpperCase());
    const byPunycode = await login(punycode);
    expect(byUnicode.status).toBe(200);
    expect(byPunycode.status).toBe(200);
    const id = (created.body.user as { id: string }).id;
    expect((byUnicode.body.user as { id: string }).id).toBe(id);
    expect((byPunycode.body.user as { id: string }).id).toBe(id);
  });

  it('finds a stored NFC address when an admin filters by its decomposed form', async () => {
    const d = domain();
    expect((await register(`jos\u00e9@${d}`)).status).toBe(201);
    const admin = await call<{ access_token: string }>(service.url, 'POST', '/api/auth/login', { json: ADMIN });
    const found = await call<{ items: Array<{ email: string }> }>(service.url, 'GET', `/api/admin/users?email=${encodeURIComponent(`jose\u0301@${d}`)}`, { token: admin.body.access_token });
    expect(found.status).toBe(200);
    expect(found.body.items.map((u) => u.email)).toEqual([`jos\u00e9@${d}`]);
  });

  it('finds an account registered under the punycode form when the Unicode form is typed', async () => {
    const { toASCII } = await import('tr46');
    const label = `bücher${n++}`;
    const created = await register(`anna@${toASCII(`${label}.de`)}`);
    expect(created.status).toBe(201);
    expect((await register(`anna@${label}.de`)).body).toEqual(TAKEN);
    expect((await login(`anna@${label}.de`)).status).toBe(200);
  });

  it('refuses a local part that mixes scripts with a clear message', async () => {
    const response = await register(`pаypal@${domain()}`); // Cyrillic а among Latin letters
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'validation_failed',
      message: 'Request validation failed',
      details: [{ field: 'email', message: 'email must not mix scripts before the @ (for example Latin and Cyrillic letters together)' }],
      request_id: expect.any(String),
    });
  });

  it('lets exactly one of several look-alikes registering at once through', async () => {
    const d = domain();
    const d2 = d.replace(/e/g, 'е');
    const twins = [`apex@${d}`, `арех@${d}`, `ａｐｅｘ@${d}`, `apex@${d2}`, `арех@${d2}`, `ａｐｅｘ@${d2}`];
    const results = await Promise.all(twins.map(register));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body).toEqual(TAKEN);
  });

  it('lets pure-ASCII addresses with one skeleton register at once, all of them', async () => {
    const d = domain();
    const results = await Promise.all([`modern@${d}`, `modem@${d}`, `rnodern@${d}`, `rnodem@${d}`].map(register));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
  });

  // In child processes (the built service), as test/startup.e2e-spec.ts does: a refused start exits.
  it('refuses a bootstrap admin whose email is a look-alike of an existing account, with a clear line', async () => {
    const db = await createTestDatabase();
    try {
      const running = await startProcess(db.env);
      const created = await call(running.url, 'POST', '/api/auth/register', { json: { email: 'арех@example.com', password: STRONG_PASSWORD } });
      expect(created.status).toBe(201);
      await running.stop();
      const refused = await runUntilExit({ ...db.env, BOOTSTRAP_ADMIN_EMAIL: 'apex@example.com', BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password });
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(
        "Tessera could not start: BOOTSTRAP_ADMIN_EMAIL apex@example.com looks like an existing account's address (UTS #39 confusables); choose another email",
      );
    } finally {
      await db.drop();
    }
  });

  it('migration: keeps rows that already collide, logs them, and guards against new twins', async () => {
    const ds = service.dataSource;
    const migration = new AddEmailLookalikeGuards1764310000000();
    const runner = ds.createQueryRunner();
    const warnings: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    const d = domain();
    const rows = [`paypal@${d}`, `pаypal@${d}`, `zürich@bänk${n}.ch`, `zürich@${(await import('tr46')).toASCII(`bänk${n}.ch`)}`, `modern@${d}`, `modem@${d}`];
    const ids = rows.map(() => randomUUID());
    try {
      await runner.startTransaction();
      await migration.down(runner);
      for (const [i, email] of rows.entries()) {
        await runner.query(`INSERT INTO users (id, email, password_hash, roles, created_at) VALUES ($1, $2, 'x', '{user}', now() + $3 * interval '1 second')`, [ids[i], email, i]);
      }
      await migration.up(runner);
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
      spy.mockRestore();
    }
    const kept: Array<{ id: string; email_canonical: string | null }> = await ds.query(`SELECT id, email_canonical FROM users WHERE id = ANY ($1::uuid[])`, [ids]);
    expect(kept).toHaveLength(rows.length);
    const canonical = new Map(kept.map((r) => [r.id, r.email_canonical]));
    expect(canonical.get(ids[3])).toBeNull(); // the punycode twin of row 2: kept, without a canonical form
    expect(canonical.get(ids[2])).toBe(rows[3]);
    expect(canonical.get(ids[1])).toBe(rows[1]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`Kept account ${ids[1]} <${rows[1]}>: a look-alike of the older account ${ids[0]} <${rows[0]}>`),
        expect.stringContaining(`Kept account ${ids[3]} <${rows[3]}>: the same address as the older account ${ids[2]} <${rows[2]}>`),
      ]),
    );
    expect(warnings.join('\n')).not.toContain('modem');
    // Every account registered by the other tests got its canonical form back, and new twins are refused.
    expect(await ds.query(`SELECT 1 FROM users WHERE email_canonical IS NULL AND id <> $1`, [ids[3]])).toEqual([]);
    expect((await register(`ｐａｙｐａｌ@${d}`)).body).toEqual(TAKEN); // full-width Latin: one script, a look-alike
    expect((await register(`zürich@bänk${n}.ch`)).body).toEqual(TAKEN);
    expect((await register(`modem@${d}`)).body).toEqual(TAKEN);
    expect((await register(`rnodern@${d}`)).status).toBe(201);
    expect((await register(`apex@${d}`)).status).toBe(201);
    expect((await register(`арех@${d}`)).body).toEqual(TAKEN);
  });
});
