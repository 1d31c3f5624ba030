// Floor of GET /api/hello (the example API) and, with FLOOR_ME=1, of GET /api/auth/me: jose's
// jwtVerify with the same issuer, audience, algorithm, typ, required claims and clock tolerance
// as the verifier, against the issuer's JWKS (given whole in FLOOR_JWKS, so the floor runs alone);
// /api/hello answers the claims, /api/auth/me one pg read of the user by primary key.
// Run as a child: FLOOR_JWKS='{"keys":[…]}' FLOOR_ISSUER=… FLOOR_AUDIENCE=… [FLOOR_ME=1 DATABASE_URL=…] node bench/floors/verify.mjs
import { createLocalJWKSet, jwtVerify } from 'jose';
import pg from 'pg';
import { POOL_OPTIONS, serve } from './common.mjs';

const me = process.env.FLOOR_ME === '1';
const pool = me ? new pg.Pool({ connectionString: process.env.DATABASE_URL, ...POOL_OPTIONS, application_name: 'tessera-floor-me' }) : null;
const jwks = createLocalJWKSet(JSON.parse(process.env.FLOOR_JWKS));
const options = {
  issuer: process.env.FLOOR_ISSUER, audience: process.env.FLOOR_AUDIENCE, algorithms: ['RS256'], typ: 'at+jwt',
  clockTolerance: Number(process.env.FLOOR_CLOCK_TOLERANCE ?? 5), requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'client_id', 'roles'],
};
const unauthorized = [401, { error: 'invalid_token', message: 'Access token is invalid' }];
const path = me ? '/api/auth/me' : '/api/hello';

serve(me ? 'me' : 'verify', async (req) => {
  if (req.url !== path) return [404, { error: 'not_found' }];
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!match) return unauthorized;
  let payload;
  try {
    ({ payload } = await jwtVerify(match[1], jwks, options));
  } catch {
    return unauthorized;
  }
  if (!me) return [200, payload];
  const { rows: [user] } = await pool.query('SELECT id, email, name, roles, created_at FROM users WHERE id = $1 AND disabled_at IS NULL', [payload.sub]);
  return user ? [200, { user }] : unauthorized;
}, async () => pool?.end());
