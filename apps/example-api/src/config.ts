import type { VerifierOptions } from '@tessera/verifier';

/** The example API's whole configuration, from its environment (only this file reads it). */
export interface ExampleApiConfig {
  port: number;
  host: string;
  verifier: VerifierOptions;
}

export class ExampleConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

const urlProblem = (name: string, value: string): string | undefined => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : `${name} must be an http(s) URL`;
  } catch {
    return `${name} must be an absolute http(s) URL, got "${value}"`;
  }
};

/**
 * PORT (3001), HOST (127.0.0.1), AUTH_ISSUER (Tessera's JWT_ISSUER, default http://localhost:3000),
 * AUTH_AUDIENCE (tessera), AUTH_JWKS_URI (the issuer's /.well-known/jwks.json), and optionally
 * AUTH_REVOCATIONS_URL with AUTH_REVOCATIONS_INTERVAL_MS (5000) and AUTH_CLOCK_TOLERANCE (5 s).
 */
export function loadExampleConfig(env: Record<string, string | undefined>): ExampleApiConfig {
  const problems: string[] = [];
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    return value;
  };
  const port = integer('PORT', 3001, 0, 65535);
  const issuer = env.AUTH_ISSUER || 'http://localhost:3000';
  const audience = env.AUTH_AUDIENCE || 'tessera';
  const jwksUri = env.AUTH_JWKS_URI || `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  const clockTolerance = integer('AUTH_CLOCK_TOLERANCE', 5, 0, 60);
  const intervalMs = integer('AUTH_REVOCATIONS_INTERVAL_MS', 5000, 100, 3_600_000);
  const revocationsUrl = env.AUTH_REVOCATIONS_URL || undefined;
  for (const [name, value] of [['AUTH_JWKS_URI', jwksUri], ['AUTH_REVOCATIONS_URL', revocationsUrl]] as const) {
    const problem = value === undefined ? undefined : urlProblem(name, value);
    if (problem) problems.push(problem);
  }
  if (problems.length) throw new ExampleConfigError(problems);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    verifier: { issuer, audience, jwksUri, clockTolerance, revocations: revocationsUrl ? { url: revocationsUrl, intervalMs } : undefined },
  };
}
