// Floor of the login scenario: the user read by address, argon2id verification (the hash carries
// the service's default parameters: the seed hashed it with them), one INSERT statement for the
// session and its first refresh token, an RS256 access token. No framework, no security-log row,
// no lockout, no session cap.
// Run as a child: DATABASE_URL=postgres://… node bench/floors/login.mjs
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import pg from 'pg';
import { accessTokenSigner, parseJson, POOL_OPTIONS, REFRESH_TTL_S, serve, SESSION_MAX_AGE_S, tokenResponse } from './common.mjs';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, ...POOL_OPTIONS, application_name: 'tessera-floor-login' });
const sign = await accessTokenSigner();

serve('login', async (req, body) => {
  if (req.method !== 'POST' || req.url !== '/api/auth/login') return [404, { error: 'not_found' }];
  const { email, password } = parseJson(body) ?? {};
  if (typeof email !== 'string' || typeof password !== 'string') return [400, { error: 'validation_failed' }];
  const { rows: [user] } = await pool.query('SELECT id, password_hash, roles FROM users WHERE email = $1 AND disabled_at IS NULL', [email.toLowerCase()]);
  if (!user || !(await argon2.verify(user.password_hash, password))) return [401, { error: 'invalid_credentials' }];
  const [sessionId, refreshToken] = [randomUUID(), `rt_${randomBytes(32).toString('base64url')}`];
  await pool.query(
    `WITH s AS (INSERT INTO sessions (id, user_id, expires_at, ip, user_agent) VALUES ($1, $2, now() + $5 * interval '1 second', $6, $7))
     INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at) VALUES ($3, $1, $4, now() + $8 * interval '1 second')`,
    [sessionId, user.id, randomUUID(), createHash('sha256').update(refreshToken).digest(), SESSION_MAX_AGE_S, req.socket.remoteAddress, req.headers['user-agent'] ?? null, REFRESH_TTL_S],
  );
  return [200, tokenResponse(await sign({ sub: user.id, sid: sessionId, roles: user.roles }), refreshToken, REFRESH_TTL_S)];
}, () => pool.end());
