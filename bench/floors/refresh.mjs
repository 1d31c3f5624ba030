// Floor of the refresh scenario: the locked rotation of a refresh token on the service's own
// tables (same row shape: the parent marked used, a successor inserted, the session's
// last_used_at), the fewest round trips a careful engineer would write, five on one pooled
// connection: BEGIN; SELECT … FOR UPDATE (token joined to its session and user); UPDATE (the
// parent, and the session in the same statement); INSERT (the successor); COMMIT. Then an RS256
// access token. No framework, no security-log row. Its tokens are found by hash alone, through a
// unique index over every token's hash (the partial index refresh_tokens_hash_lookup_key, which
// holds every row the floor writes: it leaves lookup_by_hash at its default), as a naive design does.
// Run as a child: DATABASE_URL=postgres://… node bench/floors/refresh.mjs
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { accessTokenSigner, parseJson, POOL_OPTIONS, REFRESH_TTL_S, serve, sha256, tokenResponse } from './common.mjs';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, ...POOL_OPTIONS, application_name: 'tessera-floor-refresh' });
const successorKey = randomBytes(32); // the service derives its own from KEYS_ENCRYPTION_SECRET
const sign = await accessTokenSigner();

async function rotate(presented) {
  const now = new Date();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows: [row] } = await client.query(
      `SELECT t.id, t.used_at, t.expires_at, s.id AS session_id, s.user_id, s.revoked_at, s.expires_at AS session_expires_at, u.roles, u.disabled_at
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
        WHERE t.token_hash = $1 AND t.lookup_by_hash FOR UPDATE OF t, s`,
      [sha256(presented)],
    );
    // The service revokes the family on a reuse; the benchmark never presents a used token.
    if (!row || row.used_at || row.revoked_at || row.disabled_at || row.expires_at <= now || row.session_expires_at <= now) {
      await client.query('ROLLBACK');
      return null;
    }
    const next = `rt_${createHmac('sha256', successorKey).update(presented).digest('base64url')}`; // deriveSuccessorToken
    const expiresAt = new Date(Math.min(now.getTime() + REFRESH_TTL_S * 1000, row.session_expires_at.getTime()));
    await client.query(
      'WITH s AS (UPDATE sessions SET last_used_at = $1 WHERE id = $3) UPDATE refresh_tokens SET used_at = $1 WHERE id = $2',
      [now, row.id, row.session_id],
    );
    await client.query(
      'INSERT INTO refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)',
      [randomUUID(), row.session_id, row.id, sha256(next), now, expiresAt],
    );
    await client.query('COMMIT');
    return { ...row, next, expiresIn: Math.floor((expiresAt - now) / 1000) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

serve('refresh', async (req, body) => {
  if (req.method !== 'POST' || req.url !== '/api/auth/refresh') return [404, { error: 'not_found' }];
  const presented = parseJson(body)?.refresh_token;
  if (typeof presented !== 'string') return [400, { error: 'validation_failed' }];
  const r = await rotate(presented);
  if (!r) return [401, { error: 'invalid_grant' }];
  return [200, tokenResponse(await sign({ sub: r.user_id, sid: r.session_id, roles: r.roles }), r.next, r.expiresIn)];
}, () => pool.end());
