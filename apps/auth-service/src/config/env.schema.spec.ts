import { ConfigError, loadConfig } from './env.schema';

const SECRET = 's'.repeat(40);

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('loadConfig (SPEC §1)', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ port: 3000, host: '127.0.0.1', trustProxy: false, corsOrigins: [] });
    expect(config.db.driver).toBe('pglite');
    expect(config.db.dataDir).toMatch(/\/data$/);
    expect(config.tokens).toEqual({
      issuer: 'http://localhost:3000',
      audience: ['tessera'],
      algorithm: 'RS256',
      accessTtl: 900,
      refreshTtl: 604800,
      sessionMaxAge: 2592000,
      reuseGrace: 10,
      clockTolerance: 0,
      clientId: 'tessera',
    });
    expect(config.argon2).toEqual({ memoryKib: 19456, iterations: 2, parallelism: 1 });
    expect(config.rateLimit).toEqual({ login: 20, refresh: 60, register: 10 });
    expect(config.lockout).toEqual({ threshold: 5, identifierThreshold: 20 });
    expect(config.passwords).toEqual({ minLength: 15 });
    expect(config.keys.rotationDays).toBe(30);
    expect(config.securityLog.retentionDays).toBe(365);
  });

  it('selects PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' });
    expect(config.db).toMatchObject({ driver: 'postgres', url: 'postgres://u@127.0.0.1:5432/db' });
  });

  it('reports every problem at once, one line each, naming the variable and what is allowed', () => {
    const lines = problems({ PORT: 'abc', ACCESS_TOKEN_TTL: '30', JWT_ALG: 'none', DATABASE_URL: 'mysql://x', REFRESH_REUSE_GRACE: '61' });
    expect(lines).toEqual([
      'PORT="abc": must be a whole number from 0 to 65535',
      'DATABASE_URL="mysql://x": must be a URL starting with postgres:// or postgresql://',
      'JWT_ALG="none": must be one of RS256, ES256, EdDSA, HS256',
      'ACCESS_TOKEN_TTL="30": must be a whole number from 60 to 3600 seconds',
      'REFRESH_REUSE_GRACE="61": must be a whole number from 0 to 60 seconds',
    ]);
    for (const line of lines) expect(line).not.toContain('\n');
  });

  it.each([
    ['HS256', { JWT_ALG: 'HS256', KEYS_ENCRYPTION_SECRET: SECRET }, /JWT_ALG="HS256": not allowed with NODE_ENV=production/],
    ['a missing secret', {}, /KEYS_ENCRYPTION_SECRET: required with NODE_ENV=production/],
    ['a short secret', { KEYS_ENCRYPTION_SECRET: 'short' }, /KEYS_ENCRYPTION_SECRET=\(hidden, 5 bytes\): must be at least 32 bytes/],
  ])('production refuses %s', (_, env, expected) => {
    const lines = problems({ NODE_ENV: 'production', ...env });
    expect(lines).toEqual([expect.stringMatching(expected)]);
  });

  it('never prints a secret', () => {
    const lines = problems({ KEYS_ENCRYPTION_SECRET: 'tiny-secret', BOOTSTRAP_ADMIN_EMAIL: 'a@b.co', BOOTSTRAP_ADMIN_PASSWORD: 'pw' });
    expect(lines.join('\n')).not.toContain('tiny-secret');
    expect(lines.join('\n')).not.toMatch(/"pw"/);
    expect(lines).toContain('BOOTSTRAP_ADMIN_PASSWORD=(hidden): must be at least 15 characters');
  });

  it('bounds PASSWORD_MIN_LENGTH to 8 … 64', () => {
    expect(loadConfig({ PASSWORD_MIN_LENGTH: '64' }).passwords.minLength).toBe(64);
    expect(problems({ PASSWORD_MIN_LENGTH: '7' })).toEqual(['PASSWORD_MIN_LENGTH="7": must be a whole number from 8 to 64 characters']);
    expect(problems({ PASSWORD_MIN_LENGTH: '65' })).toHaveLength(1);
  });

  it('allows HS256 outside production', () => {
    expect(loadConfig({ JWT_ALG: 'HS256' }).tokens.algorithm).toBe('HS256');
  });

  it('parses lists: audiences, CORS origins, TRUST_PROXY hops or CIDRs', () => {
    const config = loadConfig({ JWT_AUDIENCE: 'a, b ,c', CORS_ORIGINS: 'https://app.example.com,http://localhost:5173', TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' });
    expect(config.tokens.audience).toEqual(['a', 'b', 'c']);
    expect(config.http.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.http.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(problems({ TRUST_PROXY: 'yes please' })).toEqual([expect.stringMatching(/^TRUST_PROXY="yes please": must be false/)]);
    expect(problems({ CORS_ORIGINS: 'https://a.example.com/path' })).toHaveLength(1);
  });

  it('validates the bootstrap admin: both variables, a valid email, the password policy', () => {
    expect(problems({ BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com' })).toEqual([
      'BOOTSTRAP_ADMIN_PASSWORD: required when BOOTSTRAP_ADMIN_EMAIL is set',
    ]);
    expect(problems({ BOOTSTRAP_ADMIN_PASSWORD: 'a long enough pass' })).toEqual([
      'BOOTSTRAP_ADMIN_EMAIL: required when BOOTSTRAP_ADMIN_PASSWORD is set',
    ]);
    expect(problems({ BOOTSTRAP_ADMIN_EMAIL: 'not-an-email', BOOTSTRAP_ADMIN_PASSWORD: 'a long enough pass' })).toEqual([
      'BOOTSTRAP_ADMIN_EMAIL="not-an-email": must be an email address such as name@example.com',
    ]);
    expect(problems({ BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'password123', PASSWORD_MIN_LENGTH: '8' })).toEqual([
      expect.stringMatching(/^BOOTSTRAP_ADMIN_PASSWORD=\(hidden\): is too common/),
    ]);
    expect(problems({ BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'short but fine' })).toEqual([
      'BOOTSTRAP_ADMIN_PASSWORD=(hidden): must be at least 15 characters',
    ]);
    expect(problems({ BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: '1234567890123456' })).toEqual([
      expect.stringMatching(/^BOOTSTRAP_ADMIN_PASSWORD=\(hidden\): must not be a repetition or a sequence/),
    ]);
    expect(loadConfig({ BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'short but fine', PASSWORD_MIN_LENGTH: '8' }).bootstrapAdmin).toBeDefined();
    const config = loadConfig({ BOOTSTRAP_ADMIN_EMAIL: ' Admin@Example.com ', BOOTSTRAP_ADMIN_PASSWORD: 'a long enough pass' });
    expect(config.bootstrapAdmin).toEqual({ email: 'admin@example.com', password: 'a long enough pass' });
  });
});
