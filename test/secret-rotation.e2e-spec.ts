import { deriveKey, decryptPrivateKey } from '../apps/auth-service/src/keys/key-crypto';
import { ChainSealer } from '../apps/auth-service/src/security-log/chain-sealer.service';
import { SecurityLogService } from '../apps/auth-service/src/security-log/security-log.service';
import { RunningService, startAuthService } from './support/auth-service';
import { createTestDatabase, TestDatabase } from './support/databases';
import { newSession, refresh, TokenPair } from './support/flows';
import { call } from './support/http';
import { TEST_SECRET } from './support/test-env';

const ADMIN = { BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'admin pass phrase 1' };
const NEW_SECRET = 'the-next-secret-0123456789-abcdefghijklmnopqrst';
// Long enough to outlast two restarts: the grace answer shows the successor key survived them.
const GRACE = { REFRESH_REUSE_GRACE: '60' };

async function verifyChain(service: RunningService): Promise<{ ok: boolean; checked: number }> {
  await service.app.get(SecurityLogService).flush();
  await service.app.get(ChainSealer).sealOnce();
  const admin = await call<TokenPair>(service.url, 'POST', '/api/auth/login', { json: { email: ADMIN.BOOTSTRAP_ADMIN_EMAIL, password: ADMIN.BOOTSTRAP_ADMIN_PASSWORD } });
  const res = await call<{ ok: boolean; checked: number }>(service.url, 'GET', '/api/admin/security-logs/verify', { token: admin.body.access_token });
  expect(res.status).toBe(200);
  return res.body;
}

async function wrappedSecrets(service: RunningService): Promise<string[]> {
  const signing: { private_key_enc: string }[] = await service.dataSource.query(`SELECT private_key_enc FROM signing_keys`);
  const data: { key_enc: string }[] = await service.dataSource.query(`SELECT key_enc FROM data_keys`);
  return [...signing.map((r) => r.private_key_enc), ...data.map((r) => r.key_enc)];
}

describe('data keys and the rotation of KEYS_ENCRYPTION_SECRET (SPEC §7)', () => {
  let database: TestDatabase;
  let service: RunningService | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await service?.stop();
    await database.drop();
  });

  it('stores the data keys wrapped, with the values the secret derived before they were stored', async () => {
    service = await startAuthService({ ...ADMIN, ...GRACE }, database);
    const rows: { purpose: string; key_enc: string }[] = await service.dataSource.query(`SELECT purpose, key_enc FROM data_keys ORDER BY purpose`);
    expect(rows.map((r) => r.purpose)).toEqual(['refresh-successor', 'security-log-chain']);
    for (const row of rows) {
      expect(row.key_enc).toMatch(/^v1\./);
      const plain = decryptPrivateKey(row.key_enc, [TEST_SECRET]);
      expect(plain?.equals(deriveKey(TEST_SECRET, row.purpose as 'refresh-successor'))).toBe(true);
    }
  });

  it('re-wraps signing keys and data keys under a new secret, and the chain, tokens and grace successors survive it', async () => {
    const running = service as RunningService;
    const session = await newSession(running.url, 'rotate-secret');
    const first = await refresh(running.url, session.refresh_token);
    expect(first.status).toBe(200);
    const before = await verifyChain(running);
    expect(before.ok).toBe(true);
    await running.stop();

    // The new secret, the old one still accepted.
    service = await startAuthService({ ...ADMIN, ...GRACE, KEYS_ENCRYPTION_SECRET: NEW_SECRET, KEYS_ENCRYPTION_SECRET_PREVIOUS: TEST_SECRET }, database);
    for (const wrapped of await wrappedSecrets(service)) {
      expect(decryptPrivateKey(wrapped, [NEW_SECRET])).not.toBeNull();
      expect(decryptPrivateKey(wrapped, [TEST_SECRET])).toBeNull();
    }
    const after = await verifyChain(service);
    expect(after.ok).toBe(true);
    expect(after.checked).toBeGreaterThan(before.checked);
    // An access token signed before the rotation is still accepted: the signing key did not change.
    expect((await call(service.url, 'GET', '/api/auth/me', { token: first.body.access_token })).status).toBe(200);
    // The grace successor is derived with the same data key: the retry gets the same token.
    const retry = await refresh(service.url, session.refresh_token);
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(first.body.refresh_token);
    await service.stop();

    // Once re-wrapped, the old secret is no longer needed.
    service = await startAuthService({ ...ADMIN, ...GRACE, KEYS_ENCRYPTION_SECRET: NEW_SECRET }, database);
    expect((await verifyChain(service)).ok).toBe(true);
    expect((await refresh(service.url, first.body.refresh_token)).status).toBe(200);
  });
});
