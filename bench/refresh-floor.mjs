// The floor of bench/refresh.mjs: the service's locked refresh-token rotation (sessions.service.ts
// `rotate`) on the same schema and with the same libraries where they do the work (pg, a pool of
// 10, jose RS256 on a WebCrypto key), but with nothing else around it: bare node:http, no framework.
// Run as a child process (so that it gets its own event loop, as the service does):
//   DATABASE_URL=postgres://... node bench/refresh-floor.mjs   → "floor listening on http://127.0.0.1:<port>"
// FLOOR_FULL=1 adds what the service does beyond the bare rotation: the `token_refreshed`
// security-log row in the transaction and the read of the user's current roles and status (joined
// to the session's locking read, as the service does).
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';

const ACCESS_TTL_S = 900; // the service's defaults (env.schema.ts)
const REFRESH_TTL_S = 604_800;
const SESSION_MAX_AGE_S = 2_592_000;

const sha256 = (token) => createHash('sha256').update(token, 'utf8').digest(); // hashRefreshToken
const newRefreshToken = () => `rt_${randomBytes(32).toString('base64url')}`; // generateRefreshToken

/** n users with one session and one unused first token each, by SQL: the floor's own chains. */
export async function seedChains(db, n) {
  const chains = [];
  for (let i = 0; i < n; i++) {
    const [userId, sessionId, token] = [randomUUID(), randomUUID(), newRefreshToken()];
    await db.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'unused')`, [userId, `floor-${userId}@example.com`]);
    await db.query(`INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + $3 * interval '1 second')`, [sessionId, userId, SESSION_MAX_AGE_S]);
    await db.query(`INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 second')`, [
      randomUUID(), sessionId, sha256(token), REFRESH_TTL_S,
    ]);
    chains.push({ sessionId, refreshToken: token });
  }
  return chains;
}

async function main() {
  const full = process.env.FLOOR_FULL === '1';
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, application_name: 'tessera-floor' });
  const successorKey = randomBytes(32); // the service derives its own from KEYS_ENCRYPTION_SECRET
  const logKey = randomBytes(32);
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 }); // as key-material.ts

  /** The transaction: null when the token cannot be rotated (unknown, used, expired, revoked). */
  async function rotate(client, presented, now) {
    const { rows: [token] } = await client.query('SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE', [sha256(presented)]);
    if (!token) return null;
    const { rows: [session] } = await client.query(
      full
        ? 'SELECT s.*, u.roles, u.disabled_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 FOR UPDATE OF s'
        : 'SELECT * FROM sessions WHERE id = $1 FOR UPDATE',
      [token.session_id],
    );
    // The service revokes the family on a reuse; the benchmark never presents a used token.
    if (!session || session.revoked_at || token.used_at || session.expires_at <= now || token.expires_at <= now) return null;
    if (full && session.disabled_at) return null;
    const next = `rt_${createHmac('sha256', successorKey).update(presented).digest('base64url')}`; // deriveSuccessorToken
    const expiresAt = new Date(Math.min(now.getTime() + REFRESH_TTL_S * 1000, session.expires_at.getTime()));
    await client.query('UPDATE refresh_tokens SET used_at = $1 WHERE id = $2', [now, token.id]);
    await client.query(
      'INSERT INTO refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)',
      [randomUUID(), session.id, token.id, sha256(next), now, expiresAt],
    );
    await client.query('UPDATE sessions SET last_used_at = $1 WHERE id = $2', [now, session.id]);
    if (full) {
      const row = { eventType: 'token_refreshed', userId: session.user_id, sessionId: session.id, createdAt: now.toISOString() };
      const mac = createHmac('sha256', logKey).update(JSON.stringify(row)).digest();
      await client.query('INSERT INTO security_logs (event_type, user_id, session_id, details, created_at, mac) VALUES ($1, $2, $3, $4, $5, $6)', [
        row.eventType, row.userId, row.sessionId, {}, now, mac,
      ]);
    }
    return { userId: session.user_id, sessionId: session.id, roles: full ? session.roles : ['user'], next, expiresIn: Math.floor((expiresAt - now) / 1000) };
  }

  async function refresh(body) {
    let presented;
    try {
      presented = JSON.parse(body).refresh_token;
    } catch {
      /* answered below */
    }
    if (typeof presented !== 'string') return [400, { error: 'invalid_request' }];
    const now = new Date();
    const client = await pool.connect();
    let result;
    try {
      await client.query('BEGIN');
      result = await rotate(client, presented, now);
      await client.query(result ? 'COMMIT' : 'ROLLBACK');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    if (!result) return [401, { error: 'invalid_grant' }];
    const iat = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ sid: result.sessionId, client_id: 'tessera', roles: result.roles }) // as access-token.service.ts
      .setProtectedHeader({ alg: 'RS256', kid: 'floor', typ: 'at+jwt' })
      .setIssuer('http://localhost:3000')
      .setSubject(result.userId)
      .setAudience('tessera')
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TTL_S)
      .setJti(randomUUID())
      .sign(privateKey);
    return [200, { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TTL_S, refresh_token: result.next, refresh_expires_in: result.expiresIn }];
  }

  const send = (res, status, json) => {
    const body = JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/api/auth/refresh') return send(res, 404, { error: 'not_found' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => refresh(body).then(([status, json]) => send(res, status, json), (error) => send(res, 500, { error: String(error.message) })));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`floor listening on http://127.0.0.1:${server.address().port}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => pool.end().then(() => process.exit(0)));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    process.stderr.write(`floor could not start: ${error.message}\n`);
    process.exit(1);
  });
}
