import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from './support/databases';
import { call, STRONG_PASSWORD, uniqueEmail } from './support/http';
import { execFileSync } from 'node:child_process';
import { MAIN, runUntilExit, START_ARGS, startProcess } from './support/process';
import { usingPostgres } from './support/test-env';

/** The service as `npm start` runs it: a real process, its exit code and what it prints. */
describe('starting the service (SPEC §1)', () => {
  it("compiles with the build's code cache under npm start's own V8 flags (V8 rejects a cache made under other flags)", () => {
    // The loader's vm.Script, seen from inside: whether V8 took the cache; the process ends there, before the service starts.
    const probe = `const vm = require('node:vm'); const Script = vm.Script;
      vm.Script = class extends Script { constructor(source, options) { super(source, options); process.stdout.write(JSON.stringify({ cached: Boolean(options && options.cachedData), rejected: this.cachedDataRejected })); process.exit(0); } };
      require(${JSON.stringify(MAIN)});`;
    const out = execFileSync(process.execPath, [...START_ARGS.slice(0, -1), '-e', probe], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ cached: true, rejected: false });
  });

  it('refuses bad configuration with one clear line per problem and exit code 1, never a stack trace', async () => {
    const { code, stderr, stdout } = await runUntilExit({ PORT: 'http', JWT_ALG: 'none', ACCESS_TOKEN_TTL: '5' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      'Configuration error: PORT="http": must be a whole number from 0 to 65535',
      'Configuration error: JWT_ALG="none": must be one of RS256, ES256, EdDSA, HS256',
      'Configuration error: ACCESS_TOKEN_TTL="5": must be a whole number from 60 to 3600 seconds',
    ]);
  });

  it('refuses HS256, a missing secret and a short secret in production', async () => {
    const missing = await runUntilExit({ NODE_ENV: 'production', JWT_ALG: 'HS256', KEYS_ENCRYPTION_SECRET: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Configuration error: JWT_ALG="HS256": not allowed with NODE_ENV=production/m);
    expect(missing.stderr).toMatch(/^Configuration error: KEYS_ENCRYPTION_SECRET: required with NODE_ENV=production/m);
    const short = await runUntilExit({ NODE_ENV: 'production', KEYS_ENCRYPTION_SECRET: 'too-short' });
    expect(short.code).toBe(1);
    expect(short.stderr.trim()).toBe('Configuration error: KEYS_ENCRYPTION_SECRET=(hidden, 9 bytes): must be at least 32 bytes');
    expect(short.stderr).not.toContain('too-short');
  });

  // The built service holds the common-password list as computed at build time (commonPasswordsAtBuild
  // in scripts/bundle-auth-service.mjs): checked at the default and at the shortest minimum length.
  it.each([
    ['at the default minimum length (15)', {}, 'momsanaladventure'],
    ['of 8 characters with PASSWORD_MIN_LENGTH=8', { PASSWORD_MIN_LENGTH: '8' }, 'Baseball'],
  ])('refuses a bootstrap admin password from the common-password list %s', async (_, env, password) => {
    const { code, stderr } = await runUntilExit({ ...env, BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: password });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Configuration error: BOOTSTRAP_ADMIN_PASSWORD=(hidden): is too common (it appears in lists of leaked passwords); choose another');
  });

  describe('with a database', () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase();
    });
    afterEach(() => db.drop());

    it('keeps users and keys across a restart, and SIGTERM exits cleanly', async () => {
      const email = uniqueEmail();
      const first = await startProcess(db.env);
      const registered = await call(first.url, 'POST', '/api/auth/register', { json: { email, password: STRONG_PASSWORD } });
      expect(registered.status).toBe(201);
      const signedIn = await call(first.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } });
      const jwks1 = await call(first.url, 'GET', '/.well-known/jwks.json');
      expect(await first.stop()).toBe(0);
      if (!usingPostgres()) expect(existsSync(join(db.env.DATA_DIR, 'tessera.lock'))).toBe(false);

      const second = await startProcess(db.env);
      try {
        const login = await call(second.url, 'POST', '/api/auth/login', { json: { email, password: STRONG_PASSWORD } });
        expect(login.status).toBe(200);
        expect((await call(second.url, 'GET', '/.well-known/jwks.json')).body).toEqual(jwks1.body);
        // The session and the access token of the first run live on.
        expect((await call(second.url, 'GET', '/api/auth/me', { token: signedIn.body.access_token as string })).status).toBe(200);
        const refreshed = await call(second.url, 'POST', '/api/auth/refresh', { json: { refresh_token: signedIn.body.refresh_token } });
        expect(refreshed.status).toBe(200);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    });

    (process.platform === 'linux' ? it : it.skip)('(needs Linux: threads are counted in /proc) runs argon2 on one libuv thread per core (2 to 4), or as many as UV_THREADPOOL_SIZE says', async () => {
      // Node 20's libuv leaves its threads unnamed: the pool's size is read from the count of the
      // process's threads, against a start with a pool of one.
      const threads = async (env: Record<string, string>) => {
        const running = await startProcess({ ...db.env, ...env });
        try {
          // A registration hashes (argon2 on the pool), which starts every thread of the pool.
          expect((await call(running.url, 'POST', '/api/auth/register', { json: { email: uniqueEmail(), password: STRONG_PASSWORD } })).status).toBe(201);
          return readdirSync(`/proc/${running.child.pid}/task`).length;
        } finally {
          await running.stop();
        }
      };
      const withOne = await threads({ UV_THREADPOOL_SIZE: '1' });
      expect((await threads({})) - withOne + 1).toBe(Math.min(4, Math.max(2, availableParallelism())));
      expect((await threads({ UV_THREADPOOL_SIZE: '3' })) - withOne + 1).toBe(3);
    });

    it('creates the bootstrap admin once, with the admin role in its tokens', async () => {
      const env = { ...db.env, BOOTSTRAP_ADMIN_EMAIL: 'Root@Example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };
      const first = await startProcess(env);
      expect(first.output()).toContain('Created the bootstrap admin root@example.com');
      const login = await call(first.url, 'POST', '/api/auth/login', { json: { email: 'root@example.com', password: 'admin pass phrase 1' } });
      expect(login.status).toBe(200);
      expect((login.body.user as { roles: string[] }).roles).toEqual(['user', 'admin']);
      const claims = JSON.parse(Buffer.from((login.body.access_token as string).split('.')[1], 'base64url').toString());
      expect(claims.roles).toEqual(['user', 'admin']);
      await first.stop();
      const again = await startProcess(env);
      expect(again.output()).not.toContain('Created the bootstrap admin');
      await again.stop();
    });

    it('stops with a clear line when the bootstrap email belongs to a non-admin', async () => {
      const running = await startProcess(db.env);
      await call(running.url, 'POST', '/api/auth/register', { json: { email: 'taken@example.com', password: STRONG_PASSWORD } });
      await running.stop();
      const refused = await runUntilExit({ ...db.env, BOOTSTRAP_ADMIN_EMAIL: 'taken@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' });
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(
        'Tessera could not start: BOOTSTRAP_ADMIN_EMAIL taken@example.com belongs to an existing account that is not an admin; choose another email (an existing account is never promoted silently)',
      );
    });

    it('stops with a clear line when KEYS_ENCRYPTION_SECRET decrypts none of the stored keys', async () => {
      const running = await startProcess(db.env);
      await running.stop();
      const refused = await runUntilExit({ ...db.env, KEYS_ENCRYPTION_SECRET: 'another-secret-of-at-least-32-bytes!!' });
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toMatch(/^Tessera could not start: KEYS_ENCRYPTION_SECRET decrypts none of the stored (data|signing) keys/);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    });
  });

  describe('several instances', () => {
    (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) start together on one new database: migrations, the first key and the bootstrap admin happen once', async () => {
      const db = await createTestDatabase();
      const env = { ...db.env, BOOTSTRAP_ADMIN_EMAIL: 'root@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };
      try {
        const [a, b, c] = await Promise.all([startProcess(env), startProcess(env), startProcess(env)]);
        try {
          const created = [a, b, c].filter((p) => p.output().includes('Created the bootstrap admin')).length;
          expect(created).toBe(1);
          const jwks = await Promise.all([a, b, c].map((p) => call(p.url, 'GET', '/.well-known/jwks.json')));
          expect(jwks[0].body).toEqual(jwks[1].body);
          expect(jwks[1].body).toEqual(jwks[2].body);
          // One active key and one next key: created once, not once per instance.
          expect((jwks[0].body.keys as unknown[]).length).toBe(2);
          // A token issued by one instance is accepted by the others.
          const login = await call(a.url, 'POST', '/api/auth/login', { json: { email: 'root@example.com', password: 'admin pass phrase 1' } });
          for (const p of [b, c]) expect((await call(p.url, 'GET', '/api/auth/me', { token: login.body.access_token as string })).status).toBe(200);
          const { Client } = await import('pg');
          const client = new Client({ connectionString: db.env.DATABASE_URL });
          await client.connect();
          const migrations = await client.query('SELECT count(*)::int AS n FROM migrations');
          const admins = await client.query(`SELECT count(*)::int AS n FROM users WHERE 'admin' = ANY (roles)`);
          await client.end();
          expect(migrations.rows[0].n).toBeGreaterThan(0);
          expect(admins.rows[0].n).toBe(1);
        } finally {
          await Promise.all([a.stop(), b.stop(), c.stop()]);
        }
      } finally {
        await db.drop();
      }
    });
  });

  describe('the embedded database', () => {
    let dataDir: string;
    beforeEach(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'tessera-embedded-'));
    });
    afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

    it('initialises a new DATA_DIR with nothing configured, generating a development secret', async () => {
      const env = { DATA_DIR: dataDir, KEYS_ENCRYPTION_SECRET: '' };
      const running = await startProcess(env);
      try {
        expect(running.output()).toContain(`embedded PostgreSQL in ${dataDir}`);
        expect(existsSync(join(dataDir, 'keys-encryption-secret'))).toBe(true);
        const second = await runUntilExit(env);
        expect(second.code).toBe(1);
        expect(second.stderr.trim()).toBe(
          `Tessera could not start: DATA_DIR ${dataDir} is in use by process ${running.child.pid}: the embedded database allows one process at a time (stop that process, give this one another DATA_DIR, or use PostgreSQL through DATABASE_URL to run several instances)`,
        );
        expect((await call(running.url, 'GET', '/health/ready')).status).toBe(200);
      } finally {
        await running.stop();
      }
      // The generated secret is reused: the keys made at the first start still decrypt.
      const again = await startProcess(env);
      expect((await call(again.url, 'GET', '/.well-known/jwks.json')).status).toBe(200);
      await again.stop();
    });

    it('takes over a stale lock left by a crashed process', async () => {
      writeFileSync(join(dataDir, 'tessera.lock'), '999999');
      const running = await startProcess({ DATA_DIR: dataDir });
      expect((await call(running.url, 'GET', '/health/live')).status).toBe(200);
      expect(await running.stop()).toBe(0);
    });
  });
});
