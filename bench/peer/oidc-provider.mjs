// Benchmark peer for issue 13: oidc-provider (panva) with refresh-token rotation, persisted in
// PostgreSQL through a one-table adapter (model + id → jsonb payload, the way its users deploy it),
// issuing RS256 JWT access tokens for a default resource. Not part of the service.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> PORT=0 node bench/peer/oidc-provider.mjs
//
// Prints `listening on http://127.0.0.1:<port>` once ready. Routes: the provider's own (token
// endpoint POST /token, JWKS GET /jwks, discovery, ...) plus the bench-only POST /__bench/mint
// {"count":N} → {"refresh_tokens":[...]}: one account and one Grant per token, minted through the
// provider's own models. PEER_OPENID=0 mints without the `openid` scope, so that a refresh signs
// an access token only (with `openid`, the default, every refresh also signs an ID token).
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';
import pg from 'pg';
import { POOL_OPTIONS } from '../floors/common.mjs';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) throw new Error('DATABASE_URL is required');
const PORT = Number(process.env.PORT ?? 0);
const OPENID = process.env.PEER_OPENID !== '0';
export const RESOURCE = 'https://api.example.test';
const RESOURCE_SCOPE = 'api:read';
const ACCESS_TTL = 900; // Tessera's defaults: access 15 min, refresh 7 days
const REFRESH_TTL = 604_800;
const MAX_MINT = 10_000;

// Like Tessera's pool, as every server of the bench's own (floors/common.mjs).
const pool = new pg.Pool({ connectionString: DATABASE_URL, ...POOL_OPTIONS });

await pool.query(`CREATE TABLE IF NOT EXISTS oidc_payloads (
  id text, model text, payload jsonb NOT NULL, grant_id text, user_code text, uid text,
  expires_at timestamptz, consumed_at timestamptz, PRIMARY KEY (model, id))`);
await pool.query('CREATE INDEX IF NOT EXISTS oidc_payloads_grant_id ON oidc_payloads (grant_id)');
await pool.query('CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (uid)');
await pool.query('CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (user_code)');

/** The well-known one-table PostgreSQL adapter (oidc-provider's Adapter interface, on pg). */
class PgAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    await pool.query(
      `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
      [this.model, id, payload, payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresIn ? new Date(Date.now() + expiresIn * 1000) : null],
    );
  }

  async #findBy(column, value) {
    const { rows } = await pool.query(
      `SELECT payload, extract(epoch FROM consumed_at)::bigint AS consumed FROM oidc_payloads
        WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now())`,
      [this.model, value],
    );
    if (!rows.length) return undefined;
    const [{ payload, consumed }] = rows;
    return consumed === null ? payload : { ...payload, consumed: Number(consumed) };
  }

  find(id) {
    return this.#findBy('id', id);
  }

  findByUid(uid) {
    return this.#findBy('uid', uid);
  }

  findByUserCode(userCode) {
    return this.#findBy('user_code', userCode);
  }

  async consume(id) {
    await pool.query('UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2', [this.model, id]);
  }

  async destroy(id) {
    await pool.query('DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', [this.model, id]);
  }

  async revokeByGrantId(grantId) {
    await pool.query('DELETE FROM oidc_payloads WHERE model = $1 AND grant_id = $2', [this.model, grantId]);
  }
}

// One RSA 2048 signing key per start, like a fresh Tessera key; served at /jwks.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

const server = http.createServer();
server.listen(PORT, '127.0.0.1');
await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
const { port } = server.address();

const provider = new Provider(`http://127.0.0.1:${port}`, {
  adapter: PgAdapter,
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret',
      // authorization_code alongside: offline_access (hence a refresh token) is granted through it
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://client.example.test/cb'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  rotateRefreshToken: true,
  ttl: { AccessToken: ACCESS_TTL, RefreshToken: REFRESH_TTL, Grant: REFRESH_TTL, IdToken: ACCESS_TTL },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      // A refresh with no `resource` parameter gets an access token for the granted resource, so a
      // JWT (without this, a refresh token with `openid` gets an opaque userinfo token).
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== RESOURCE) throw new errors.InvalidTarget();
        return { scope: RESOURCE_SCOPE, audience: RESOURCE, accessTokenTTL: ACCESS_TTL, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
});
provider.on('server_error', (_ctx, error) => console.error(error));
const providerCallback = provider.callback();

/** Refresh tokens minted through the provider's own models: one account id and one Grant each. */
async function mint(count) {
  const client = await provider.Client.find('bench');
  const scope = [OPENID && 'openid', 'offline_access', RESOURCE_SCOPE].filter(Boolean).join(' ');
  const mintOne = async () => {
    const accountId = `acct-${randomUUID()}`;
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(OPENID ? 'openid offline_access' : 'offline_access');
    grant.addResourceScope(RESOURCE, RESOURCE_SCOPE);
    const grantId = await grant.save();
    const authTime = Math.floor(Date.now() / 1000);
    const refreshToken = new provider.RefreshToken({ accountId, authTime, client, expiresWithSession: false, grantId, gty: 'authorization_code', resource: RESOURCE, scope });
    return refreshToken.save();
  };
  const tokens = [];
  for (let i = 0; i < count; i += 10) tokens.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, mintOne))));
  return tokens;
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

server.on('request', (req, res) => {
  if (req.url !== '/__bench/mint') return providerCallback(req, res);
  if (req.method !== 'POST') return json(res, 405, { error: 'method_not_allowed', message: 'POST only' });
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (text += chunk));
  req.on('end', async () => {
    let count;
    try {
      ({ count } = JSON.parse(text));
    } catch {
      /* checked below */
    }
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_MINT) return json(res, 400, { error: 'bad_request', message: `count must be an integer from 1 to ${MAX_MINT}` });
    try {
      json(res, 200, { refresh_tokens: await mint(count) });
    } catch (error) {
      console.error(error);
      json(res, 500, { error: 'server_error', message: error.message });
    }
  });
});

const shutdown = () => server.close(() => pool.end().finally(() => process.exit(0)));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

console.log(`listening on http://127.0.0.1:${port}`);
