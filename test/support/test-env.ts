/**
 * The environment every test instance starts from: cheap argon2 (tests only), a fixed secret,
 * a test issuer. A test adds or overrides variables for what it checks.
 */
export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export const BASE_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  JWT_ISSUER: 'http://tessera.test',
  JWT_AUDIENCE: 'tessera',
  KEYS_ENCRYPTION_SECRET: TEST_SECRET,
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_ITERATIONS: '1',
  ARGON2_PARALLELISM: '1',
};

export const usingPostgres = (): boolean => Boolean(process.env.TEST_DATABASE_URL);

/**
 * Rate limits off (SPEC §1: 0 turns a limit off), for test files that are not about them and make
 * more registrations, logins or refreshes a minute from 127.0.0.1 than the defaults allow.
 * test/abuse.e2e-spec.ts tests the limits.
 */
export const NO_RATE_LIMITS: Record<string, string> = { RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0' };
