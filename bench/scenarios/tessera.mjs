// The Tessera instance every PostgreSQL scenario measures: limits and lockout off, argon2 at its
// defaults (ARGON2_* unset), a bootstrap admin for the log page, one-hour access tokens (a token
// taken at the start of a phase stays valid through it). Started with its cold start timed.
import { AUTH_ARGS, expectCall, serviceEnv, startReady } from '../harness.mjs';
import { PASSWORD, seededEmail } from '../seed.mjs';

export const ISSUER = 'http://tessera.bench.test';
export const AUDIENCE = 'tessera';
export const ADMIN = { email: 'admin@bench.example.com', password: 'bench admin passphrase 2026 tessera' };
export const LIMITS_OFF = { RATE_LIMIT_LOGIN: '0', RATE_LIMIT_REFRESH: '0', RATE_LIMIT_REGISTER: '0', LOCKOUT_THRESHOLD: '0', LOCKOUT_IDENTIFIER_THRESHOLD: '0' };

export const tesseraEnv = (databaseUrl, extra = {}) =>
  serviceEnv(databaseUrl, {
    JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ACCESS_TOKEN_TTL: '3600', BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password, ...LIMITS_OFF, ...extra,
  });

/** The service on `databaseUrl`, ready, with what the scenarios need: its JWKS and a user's access token. */
export async function startTessera(label, databaseUrl, userSlot) {
  const service = await startReady(label, [...AUTH_ARGS], tesseraEnv(databaseUrl));
  const jwks = await expectCall(200, service.port, 'GET', '/.well-known/jwks.json');
  const login = await expectCall(200, service.port, 'POST', '/api/auth/login', { email: seededEmail(userSlot), password: PASSWORD });
  return { ...service, jwks, accessToken: login.access_token };
}
