import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { ChainSealer } from '../apps/auth-service/src/security-log/chain-sealer.service';
import { SecurityLogRetention } from '../apps/auth-service/src/security-log/retention.service';
import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { RunningService, startAuthService } from './support/auth-service';
import { login, newSession, refresh } from './support/flows';
import { call, STRONG_PASSWORD, uniqueEmail } from './support/http';
import { BASE_ENV, usingPostgres } from './support/test-env';

const CLI_DIR = join(__dirname, '../dist/apps/auth-service/apps/auth-service/src/cli');
const ADMIN = { BOOTSTRAP_ADMIN_EMAIL: 'dump-admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };
// The source runs on the development secret that the service generates under DATA_DIR.
const NO_SECRET = { KEYS_ENCRYPTION_SECRET: '' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const TABLES = ['users', 'sessions', 'refresh_tokens', 'signing_keys', 'data_keys', 'security_logs', 'security_log_checkpoints'];

/** Every row of every table as PostgreSQL prints it (UTC), hashed: the same on both sides means the same data. */
async function fingerprint(query: (sql: string) => Promise<Record<string, unknown>[]>): Promise<Record<string, string>> {
  await query(`SET TimeZone = 'UTC'`);
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const [row] = await query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS h FROM ${table} t`);
    out[table] = `${row.n}:${row.h}`;
  }
  return out;
}

async function adminToken(url: string): Promise<string> {
  const res = await call<{ access_token: string }>(url, 'POST', '/api/auth/login', { json: { email: ADMIN.BOOTSTRAP_ADMIN_EMAIL, password: ADMIN.BOOTSTRAP_ADMIN_PASSWORD } });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

async function verifyChain(url: string): Promise<{ ok: boolean; checked: number }> {
  const res = await call<{ ok: boolean; checked: number }>(url, 'GET', '/api/admin/security-logs/verify', { token: await adminToken(url) });
  expect(res.status).toBe(200);
  return res.body;
}

describe('moving from the embedded database to PostgreSQL (npm run db:dump, SPEC §2 "Operations")', () => {
  (usingPostgres() ? it : it.skip)(
    '(needs TEST_DATABASE_URL, and runs an embedded source) dumps the embedded database, psql loads it into a new database, and the service carries on there',
    async () => {
      const serverUrl = process.env.TEST_DATABASE_URL as string;
      const dataDir = mkdtempSync(join(tmpdir(), 'tessera-dump-source-'));
      const dumpFile = join(dataDir, '..', `tessera-dump-${process.pid}-${randomBytes(3).toString('hex')}.sql`);
      const targetName = `tessera_dump_${process.pid}_${randomBytes(4).toString('hex')}`;
      const targetUrl = new URL(serverUrl);
      targetUrl.pathname = `/${targetName}`;
      let source: RunningService | undefined;
      let target: RunningService | undefined;
      try {
        // 1. An embedded database filled through the API: users, sessions, rotated refresh tokens,
        // a logout, rotated signing keys (a retiring and a retired one), a purged and sealed log.
        const sourceDb = { env: { DATA_DIR: dataDir }, drop: async () => undefined };
        source = await startAuthService({ ...ADMIN, ...NO_SECRET }, sourceDb);
        expect(source.config.db.driver).toBe('pglite');
        const early = await newSession(source.url, 'dump-early');
        await source.app.get(SecurityLogService).flush();
        await source.app.get(ChainSealer).sealOnce();
        expect(await source.app.get(SecurityLogRetention).runOnce(new Date(Date.now() + 366 * 86_400_000))).toBeGreaterThan(0);

        const alice = await newSession(source.url, 'dump-alice');
        const bob = await newSession(source.url, 'dump-bob');
        // Text that COPY must escape (a tab, backslashes) and that must survive as UTF-8.
        const odd = { email: uniqueEmail('dump-odd'), name: `O'Brien \\ "Zoë" 😀 \\N` };
        expect((await call(source.url, 'POST', '/api/auth/register', { json: { ...odd, password: STRONG_PASSWORD } })).status).toBe(201);
        const oddSession = await login(source.url, odd.email, 'Mozilla/5.0\t(X11) \\x41 "tab"');
        expect(await source.dataSource.query(`SELECT 1 FROM sessions WHERE strpos(user_agent, chr(9)) > 0 AND strpos(user_agent, chr(92)) > 0`)).toHaveLength(1);
        const rotated = await refresh(source.url, alice.refresh_token);
        expect(rotated.status).toBe(200);
        expect((await call(source.url, 'POST', '/api/auth/logout', { json: { refresh_token: bob.refresh_token } })).status).toBe(204);
        const urgent = await call(source.url, 'POST', '/api/admin/keys/rotate', { token: await adminToken(source.url), json: { urgent: true } });
        expect(urgent.status).toBe(200);
        await source.dataSource.query(`UPDATE signing_keys SET created_at = now() - interval '1 hour' WHERE status = 'next'`);
        expect((await call(source.url, 'POST', '/api/admin/keys/rotate', { token: await adminToken(source.url), json: {} })).status).toBe(200);
        const signedBefore = await login(source.url, alice.email);
        const jwksBefore = (await call(source.url, 'GET', '/.well-known/jwks.json')).body;
        await source.app.get(SecurityLogService).flush();
        await source.app.get(ChainSealer).sealOnce();
        expect(await verifyChain(source.url)).toMatchObject({ ok: true });
        await source.app.get(SecurityLogService).flush();
        await source.app.get(ChainSealer).sealOnce();
        const sourcePrint = await fingerprint((sql) => (source as RunningService).dataSource.query(sql));
        expect(sourcePrint.security_log_checkpoints).toMatch(/^1:/);
        expect(sourcePrint.signing_keys).toMatch(/^4:/);

        // 2. The dump refuses while the service runs (the DATA_DIR lock), then works once it stopped.
        const env = { ...BASE_ENV, ...NO_SECRET, DATA_DIR: dataDir };
        const locked = await run(process.execPath, [join(CLI_DIR, 'db-dump.js'), dumpFile], env);
        expect(locked.code).toBe(1);
        expect(locked.stderr).toMatch(/^Dump failed: .*(lock|in use|running)/im);
        await source.stop();
        const dumped = await run(process.execPath, [join(CLI_DIR, 'db-dump.js'), dumpFile], env);
        expect(dumped.stderr).toBe('');
        expect(dumped.code).toBe(0);
        const secretFile = join(dataDir, 'keys-encryption-secret');
        expect(dumped.stdout).toContain(`KEYS_ENCRYPTION_SECRET="$(cat ${secretFile})"`);
        const devSecret = readFileSync(secretFile, 'utf8').trim();
        expect(dumped.stdout).not.toContain(devSecret);
        expect(statSync(dumpFile).mode & 0o077).toBe(0);

        // 3. A new PostgreSQL database: the schema by the migrations, then the data by psql.
        await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${targetName}`));
        const migrated = await run(process.execPath, [join(CLI_DIR, 'migration-run.js')], { ...BASE_ENV, DATABASE_URL: targetUrl.toString() });
        expect(migrated.code).toBe(0);
        const loaded = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', dumpFile, targetUrl.toString()], {});
        expect(loaded.stderr).toBe('');
        expect(loaded.code).toBe(0);
        expect(await withClient(targetUrl.toString(), (c) => fingerprint(async (sql) => (await c.query(sql)).rows))).toEqual(sourcePrint);
        // Loading twice is refused, and changes nothing.
        const again = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', dumpFile, targetUrl.toString()], {});
        expect(again.code).not.toBe(0);
        expect(again.stderr).toMatch(/The target database is not empty/);

        // 4. The service on PostgreSQL, under the carried-over secret: old password, old refresh
        // token, old access token, the same JWKS, a log chain that verifies; new identity values do not collide.
        target = await startAuthService({ ...ADMIN, KEYS_ENCRYPTION_SECRET: devSecret }, {
          env: { DATABASE_URL: targetUrl.toString(), DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-dump-target-')) },
          drop: async () => undefined,
        });
        expect((await call(target.url, 'GET', '/.well-known/jwks.json')).body).toEqual(jwksBefore);
        expect((await call(target.url, 'GET', '/api/auth/me', { token: signedBefore.access_token })).status).toBe(200);
        expect((await login(target.url, alice.email)).user.id).toBe(alice.user.id);
        const renewed = await refresh(target.url, rotated.body.refresh_token);
        expect(renewed.status).toBe(200);
        expect((await refresh(target.url, bob.refresh_token)).status).toBe(401);
        expect((await refresh(target.url, early.refresh_token)).status).toBe(200);
        const oddMe = await call<{ user: { name: string } }>(target.url, 'GET', '/api/auth/me', { token: (await refresh(target.url, oddSession.refresh_token)).body.access_token });
        expect(oddMe.body.user.name).toBe(odd.name);
        await target.app.get(SecurityLogService).flush();
        await target.app.get(ChainSealer).sealOnce();
        const verified = await verifyChain(target.url);
        expect(verified.ok).toBe(true);
        expect(verified.checked).toBeGreaterThan(Number(sourcePrint.security_logs.split(':')[0]));
      } finally {
        await source?.stop();
        await target?.stop();
        await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${targetName} WITH (FORCE)`));
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(dumpFile, { force: true });
      }
    },
  );
});
