// What both refresh bounds do per request, and nothing else: Tessera's writes in one named prepared
// statement on a pooled connection (the presented token locked with its session and user, only if
// unused and live; the token marked used, the session touched, the successor inserted, the
// `token_refreshed` row of the security log written with its HMAC), then an RS256 access token
// signed with node:crypto as a job on libuv's pool, as the service signs it while no argon2 hash
// holds the pool (keys/jws.ts, infra/thread-pool.ts; its pool as large, scenarios/refresh.mjs). The bounds measure
// what the job costs on node:http and on a bare Nest + Fastify app, so that the report can say how
// much of Tessera's time per refresh is the job and how much is the rest of the service.
// rotation() is the service's ROTATION_STATEMENT (apps/auth-service/src/sessions/sessions.repository.ts)
// written again on purpose, the bench never loading the service's code: the same rows, found as the
// service finds them (by the row id the token carries, its hash compared on the row; a seeded token,
// which carries none, by its hash among the rows marked lookup_by_hash), the successor written
// with lookup_by_hash false. The service also matches the session and user that its tokens name.
// Change both together.
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import pg from 'pg';
import { ACCESS_TTL_S, POOL_OPTIONS, REFRESH_TTL_S, sha256, tokenResponse } from '../floors/common.mjs';

/** The rotation, its token found by `lookup` (a condition on `t`: the token's hash is $1, the row id it carries $10). */
const rotation = (lookup) => `WITH presented AS (
     SELECT t.id, s.id AS session_id, s.user_id, u.roles, LEAST($5::timestamptz, s.expires_at) AS child_expires_at
       FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
      WHERE ${lookup} AND t.used_at IS NULL AND t.expires_at > $2
        AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL
        FOR UPDATE OF t, s
   ), used AS (
     UPDATE refresh_tokens r SET used_at = $2 FROM presented p WHERE r.id = p.id RETURNING r.id
   ), touched AS (
     UPDATE sessions s SET last_used_at = $2 FROM presented p WHERE s.id = p.session_id
   ), successor AS (
     INSERT INTO refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at, lookup_by_hash)
     SELECT $3, p.session_id, p.id, $4, $2, p.child_expires_at, false FROM used JOIN presented p ON p.id = used.id
   ), logged AS (
     INSERT INTO security_logs (event_type, user_id, ip, user_agent, session_id, request_id, details, created_at, mac)
     SELECT 'token_refreshed', p.user_id, $6::varchar, $7::varchar, p.session_id, $8::varchar, '{}'::jsonb, $2, $9::bytea FROM presented p
   )
   SELECT session_id, user_id, roles, child_expires_at FROM presented`;
const BY_ID = { name: 'tessera_bound_rotate_by_id', text: rotation('t.id = $10 AND t.token_hash = $1') };
const BY_HASH = { name: 'tessera_bound_rotate_by_hash', text: rotation('t.token_hash = $1 AND t.lookup_by_hash') };
/** The row id a bound's token carries (rt_ + base64url(row id ‖ 256 bits)), or null for a seeded token. */
function idOf(token) {
  const bytes = Buffer.from(token.slice(3), 'base64url');
  if (token.length !== 3 + 64 || bytes.length !== 48) return null;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const base64url = (value) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** `rotate(presented, client)` → the token response, or null when the token cannot refresh; `end()` closes the pool. */
export function oneStatementRefresh(databaseUrl, name) {
  const pool = new pg.Pool({ connectionString: databaseUrl, ...POOL_OPTIONS, application_name: `tessera-bound-${name}` });
  const successorKey = randomBytes(32); // the service derives its keys from KEYS_ENCRYPTION_SECRET
  const macKey = randomBytes(32);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const header = base64url({ alg: 'RS256', kid: 'bound', typ: 'at+jwt' });

  function accessToken({ user_id: sub, session_id: sid, roles }) {
    const iat = Math.floor(Date.now() / 1000);
    const input = `${header}.${base64url({ sid, client_id: 'tessera', roles, iss: 'http://localhost:3000', sub, aud: 'tessera', iat, exp: iat + ACCESS_TTL_S, jti: randomUUID() })}`;
    return new Promise((resolve, reject) => {
      sign('sha256', Buffer.from(input, 'latin1'), privateKey, (error, signature) => (error ? reject(error) : resolve(`${input}.${signature.toString('base64url')}`)));
    });
  }

  async function rotate(presented, { ip, userAgent, requestId }) {
    const now = new Date();
    const childId = uuidv7();
    const next = `rt_${Buffer.concat([Buffer.from(childId.replace(/-/g, ''), 'hex'), createHmac('sha256', successorKey).update(presented).digest()]).toString('base64url')}`;
    const mac = createHmac('sha256', macKey).update(JSON.stringify(['token_refreshed', ip, userAgent, requestId, '{}', now.toISOString()])).digest();
    const values = [sha256(presented), now, childId, sha256(next), new Date(now.getTime() + REFRESH_TTL_S * 1000), ip, userAgent, requestId, mac];
    const id = idOf(presented);
    const { rows: [row] } = await pool.query(id === null ? { ...BY_HASH, values } : { ...BY_ID, values: [...values, id] });
    if (!row) return null;
    return tokenResponse(await accessToken(row), next, Math.floor((row.child_expires_at.getTime() - now.getTime()) / 1000));
  }

  return { rotate, end: () => pool.end() };
}
