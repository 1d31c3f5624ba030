import { AppConfig, resolveDataDir, SigningAlgorithm, TrustProxy } from './app-config';
import { normalizeEmail } from '../users/email';
import { checkPasswordPolicy, DEFAULT_PASSWORD_MIN_LENGTH, PASSWORD_MIN_LENGTH_RANGE } from '../users/password-policy';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA', 'HS256'];
const SECRET_NAMES = new Set(['KEYS_ENCRYPTION_SECRET', 'KEYS_ENCRYPTION_SECRET_PREVIOUS', 'BOOTSTRAP_ADMIN_PASSWORD', 'METRICS_TOKEN']);

/**
 * Reads every variable of SPEC §1 and reports every problem at once, one line each:
 * the variable, what it holds (never a secret's value), and what is allowed.
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const shown = (name: string, value: string) => (SECRET_NAMES.has(name) ? '(hidden)' : JSON.stringify(value));
  const int = (name: string, fallback: number, min: number, max: number, unit = ''): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name}=${shown(name, value)}: must be a whole number from ${min} to ${max}${unit}`);
      return fallback;
    }
    return n;
  };
  const url = (name: string, fallback: string | undefined, protocols: string[]): string | undefined => {
    const value = raw(name) ?? fallback;
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return value;
    } catch {
      problems.push(`${name}=${shown(name, value)}: must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return undefined;
    }
  };

  const nodeEnv = raw('NODE_ENV') ?? 'development';
  if (!['production', 'development', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV=${shown('NODE_ENV', nodeEnv)}: must be production, development or test`);
  }
  const production = nodeEnv === 'production';

  const port = int('PORT', 3000, 0, 65535);
  const host = raw('HOST') ?? '127.0.0.1';
  const trustProxy = parseTrustProxy(raw('TRUST_PROXY'), problems);
  const corsOrigins = list(raw('CORS_ORIGINS'));
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(`CORS_ORIGINS contains ${JSON.stringify(origin)}: each origin must look like https://app.example.com (scheme and host, no path)`);
    }
  }

  const databaseUrl = url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  const dataDir = resolveDataDir(raw('DATA_DIR') ?? './data');
  const redisUrl = url('REDIS_URL', undefined, ['redis:', 'rediss:']);

  const issuer = url('JWT_ISSUER', 'http://localhost:3000', ['http:', 'https:']) ?? 'http://localhost:3000';
  const audience = list(raw('JWT_AUDIENCE') ?? 'tessera');
  if (audience.length === 0) problems.push('JWT_AUDIENCE: must name at least one audience (comma-separated)');

  const algValue = raw('JWT_ALG') ?? 'RS256';
  let algorithm: SigningAlgorithm = 'RS256';
  if (!(ALGORITHMS as readonly string[]).includes(algValue)) {
    problems.push(`JWT_ALG=${JSON.stringify(algValue)}: must be one of RS256, ES256, EdDSA, HS256`);
  } else if (algValue === 'HS256' && production) {
    problems.push('JWT_ALG="HS256": not allowed with NODE_ENV=production (a shared secret cannot be published as a JWKS); use RS256, ES256 or EdDSA');
  } else {
    algorithm = algValue as SigningAlgorithm;
  }

  const accessTtl = int('ACCESS_TOKEN_TTL', 900, 60, 3600, ' seconds');
  const refreshTtl = int('REFRESH_TOKEN_TTL', 604800, 60, 31536000, ' seconds');
  const sessionMaxAge = int('SESSION_MAX_AGE', 2592000, 60, 31536000, ' seconds');
  const reuseGrace = int('REFRESH_REUSE_GRACE', 10, 0, 60, ' seconds');
  const clockTolerance = int('CLOCK_TOLERANCE', 0, 0, 60, ' seconds');
  const clientId = raw('JWT_CLIENT_ID') ?? 'tessera';

  const secret = raw('KEYS_ENCRYPTION_SECRET');
  if (secret === undefined && production) {
    problems.push('KEYS_ENCRYPTION_SECRET: required with NODE_ENV=production (at least 32 bytes; e.g. `openssl rand -base64 48`)');
  } else if (secret !== undefined && Buffer.byteLength(secret, 'utf8') < 32) {
    problems.push(`KEYS_ENCRYPTION_SECRET=(hidden, ${Buffer.byteLength(secret, 'utf8')} bytes): must be at least 32 bytes`);
  }
  const previousSecrets = list(raw('KEYS_ENCRYPTION_SECRET_PREVIOUS'));
  if (previousSecrets.some((s) => Buffer.byteLength(s, 'utf8') < 32)) {
    problems.push('KEYS_ENCRYPTION_SECRET_PREVIOUS=(hidden): every secret must be at least 32 bytes');
  }

  const passwordMinLength = int('PASSWORD_MIN_LENGTH', DEFAULT_PASSWORD_MIN_LENGTH, PASSWORD_MIN_LENGTH_RANGE.min, PASSWORD_MIN_LENGTH_RANGE.max, ' characters');
  const adminEmailRaw = raw('BOOTSTRAP_ADMIN_EMAIL');
  const adminPassword = env.BOOTSTRAP_ADMIN_PASSWORD;
  let bootstrapAdmin: AppConfig['bootstrapAdmin'];
  if (adminEmailRaw !== undefined || (adminPassword !== undefined && adminPassword !== '')) {
    const email = adminEmailRaw === undefined ? undefined : normalizeEmail(adminEmailRaw);
    if (adminEmailRaw === undefined) problems.push('BOOTSTRAP_ADMIN_EMAIL: required when BOOTSTRAP_ADMIN_PASSWORD is set');
    else if (!email?.ok) problems.push(`BOOTSTRAP_ADMIN_EMAIL=${JSON.stringify(adminEmailRaw)}: ${email?.ok === false ? email.message : 'invalid'}`);
    if (adminPassword === undefined || adminPassword === '') {
      problems.push('BOOTSTRAP_ADMIN_PASSWORD: required when BOOTSTRAP_ADMIN_EMAIL is set');
    } else if (email?.ok) {
      const policy = checkPasswordPolicy(adminPassword, email.value, passwordMinLength);
      if (!policy.ok) problems.push(`BOOTSTRAP_ADMIN_PASSWORD=(hidden): ${policy.message}`);
      else bootstrapAdmin = { email: email.value, password: adminPassword };
    }
  }

  const config: AppConfig = {
    env: nodeEnv as AppConfig['env'],
    http: { port, host, trustProxy, corsOrigins },
    db: { driver: databaseUrl ? 'postgres' : 'pglite', url: databaseUrl, dataDir },
    redis: { url: redisUrl },
    tokens: { issuer, audience, algorithm, accessTtl, refreshTtl, sessionMaxAge, reuseGrace, clockTolerance, clientId },
    keys: { encryptionSecret: secret, previousSecrets, rotationDays: int('KEY_ROTATION_DAYS', 30, 0, 3650, ' days') },
    bootstrapAdmin,
    passwords: { minLength: passwordMinLength },
    argon2: {
      memoryKib: int('ARGON2_MEMORY_KIB', 19456, 1024, 4194304, ' KiB'),
      iterations: int('ARGON2_ITERATIONS', 2, 1, 100),
      parallelism: int('ARGON2_PARALLELISM', 1, 1, 16),
    },
    rateLimit: {
      login: int('RATE_LIMIT_LOGIN', 20, 0, 1000000),
      refresh: int('RATE_LIMIT_REFRESH', 60, 0, 1000000),
      register: int('RATE_LIMIT_REGISTER', 10, 0, 1000000),
    },
    lockout: {
      threshold: int('LOCKOUT_THRESHOLD', 5, 0, 1000),
      identifierThreshold: int('LOCKOUT_IDENTIFIER_THRESHOLD', 20, 0, 100000),
    },
    securityLog: { retentionDays: int('SECURITY_LOG_RETENTION_DAYS', 365, 1, 36500, ' days') },
    metrics: { token: raw('METRICS_TOKEN') },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function parseTrustProxy(value: string | undefined, problems: string[]): TrustProxy {
  if (value === undefined || value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const cidrs = list(value);
  const ipv4 = /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/;
  const ipv6 = /^[0-9a-f:]+(\/\d{1,3})?$/i;
  if (cidrs.length > 0 && cidrs.every((c) => ipv4.test(c) || ipv6.test(c))) return cidrs;
  problems.push(`TRUST_PROXY=${JSON.stringify(value)}: must be false, a number of proxy hops, or comma-separated proxy addresses/CIDRs`);
  return false;
}
