// Seeding by SQL (INSERT … SELECT FROM generate_series, never the API), in the service's own
// schema after its migrations ran: users with one session and one live refresh token each, and
// security events already sealed. `upTo` adds rows from what is there up to the asked size, so one
// database is measured small, then grown and measured again.
import argon2 from 'argon2';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, round, USER_AGENT } from './harness.mjs';

export const PASSWORD = 'bench passphrase 2026 tessera';

/** The service's argon2 defaults, read from its configuration (ARGON2_* unset). */
export function argon2Defaults() {
  const schema = readFileSync(join(ROOT, 'apps/auth-service/src/config/env.schema.ts'), 'utf8');
  const value = (name) => Number(new RegExp(`int\\('${name}', (\\d+)`).exec(schema)?.[1] ?? NaN);
  const params = { memoryCost: value('ARGON2_MEMORY_KIB'), timeCost: value('ARGON2_ITERATIONS'), parallelism: value('ARGON2_PARALLELISM') };
  if (Object.values(params).some(Number.isNaN)) throw new Error('could not read the ARGON2_* defaults from env.schema.ts');
  return params;
}

/**
 * The seeded user g: its address, and the refresh token its seeded session starts with. A seeded
 * token has the shape of a token the previous versions issued (no row id in it), so its row is
 * found by hash (lookup_by_hash, the column's default); its first refresh, in the warm-up, takes the
 * service's locked path, and its successors carry their row id, as every token the service issues.
 */
export const seededEmail = (g) => `user${g}@bench.example.com`;
export const seededToken = (g) => `rt_seed_${g}`;

/**
 * The seeded row g's id: a v4-shaped UUID, ordered by g within a table (`kind`: u, s, t), so that
 * the bulk insert appends to the primary-key indexes instead of writing all over them (random ids
 * made seeding 10⁶ users take minutes). The service's own rows keep their random ids.
 */
const KINDS = { u: 'b0000001', s: 'b0000002', t: 'b0000003' };
const uuid = (kind, g) => `('${KINDS[kind]}-0000-4000-8000-' || lpad(to_hex(${g}), 12, '0'))::uuid`;

/**
 * Users 1..n (all with the same password, hashed once at the service's parameters), each with one
 * session and its first refresh token (`seededToken(g)`), from the current count up to n.
 */
export async function seedUsers(db, n, hashParams) {
  const t0 = performance.now();
  const [{ have }] = (await db.query(`SELECT count(*)::int AS have FROM users WHERE email LIKE 'user%@bench.example.com'`)).rows;
  if (have >= n) return { users: have, ms: 0 };
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...hashParams });
  const from = have + 1;
  // The foreign keys hold by construction (session g belongs to user g, token g to session g):
  // their per-row checks are skipped for these inserts (replica role), nothing is dropped.
  await db.query('SET synchronous_commit = off');
  await db.query('SET session_replication_role = replica');
  await db.query(
    `INSERT INTO users (id, email, email_canonical, password_hash, created_at, updated_at)
     SELECT ${uuid('u', 'g')}, 'user' || g || '@bench.example.com', 'user' || g || '@bench.example.com', $3, now() - interval '1 day', now() - interval '1 day'
       FROM generate_series($1::int, $2::int) AS g`,
    [from, n, hash],
  );
  await db.query(
    `INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, ip, user_agent)
     SELECT ${uuid('s', 'g')}, ${uuid('u', 'g')}, now() - interval '1 hour', now() - interval '1 hour', now() + interval '29 days', '10.1.' || (g / 250 % 250) || '.' || (g % 250 + 1), $3
       FROM generate_series($1::int, $2::int) AS g`,
    [from, n, USER_AGENT],
  );
  await db.query(
    `INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at)
     SELECT ${uuid('t', 'g')}, ${uuid('s', 'g')}, sha256(convert_to('rt_seed_' || g, 'UTF8')), now() - interval '1 hour', now() + interval '6 days'
       FROM generate_series($1::int, $2::int) AS g`,
    [from, n],
  );
  await db.query('RESET session_replication_role');
  await db.query('RESET synchronous_commit');
  return { users: n, ms: round(performance.now() - t0) };
}

// Ordered most to least frequent: index floor(15·r^2.5) picks a skew close to a real log
// (refreshes and logins dominate, key rotations are rare); login_failure comes out at ≈ 8 %.
const TYPES = ['token_refreshed', 'login_success', 'login_failure', 'admin_action', 'logout', 'rate_limited', 'refresh_failed', 'user_registered',
  'session_revoked', 'password_changed', 'account_locked', 'account_unlocked', 'logout_all', 'refresh_token_reuse_detected', 'signing_key_rotated'];
/** The seeded events span the 90 days before the seeding, whatever their number. */
export const EVENT_DAYS = 90;
/** From this many new events on, the indexes are dropped and rebuilt around the insert. */
const REBUILD_INDEXES_FROM = 1_000_000;

/**
 * Security events from the current count of seeded ones up to n, already sealed: each with its
 * row in `security_log_links` (seq after the chain's head, a stand-in link, as for any row the
 * service left unsealed before) and `sealed_through` moved past them (security-log/chain-sealer.service.ts seals the rows above it without a link),
 * under the sealer's own advisory lock, so the sealer has nothing to do with them and goes on after
 * them with the rows the measurements write. Seeding runs while no service writes to the database.
 */
export async function seedEvents(db, n, users) {
  const t0 = performance.now();
  const [{ have }] = (await db.query(`SELECT count(*)::int AS have FROM security_logs WHERE request_id LIKE 'seed%'`)).rows;
  if (have >= n) return { events: have, ms: 0 };
  const spacingMs = (EVENT_DAYS * 86_400_000) / (n - have); // each batch spans the whole period: together, uniform
  await db.query('BEGIN');
  await db.query('SET LOCAL synchronous_commit = off');
  await db.query('SELECT pg_advisory_xact_lock(7310005)'); // LockIds.securityLogSealer
  const [{ offset }] = (await db.query('SELECT coalesce(max(seq), 0)::bigint AS "offset" FROM security_log_links')).rows;
  await db.query('SELECT setseed(0.42)');
  // Millions of rows into nine b-trees, several keyed by random users and addresses, take a quarter
  // of an hour; the same rows with the indexes built afterwards (a sort each) take minutes. The
  // indexes are rebuilt from their own definitions in the same transaction, so the service's schema
  // is the same after, and never seen without them.
  const rebuild = n - have >= REBUILD_INDEXES_FROM
    ? (await db.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'security_logs' AND indexname <> 'security_logs_pkey'`)).rows
    : [];
  for (const { indexname } of rebuild) await db.query(`DROP INDEX ${indexname}`);
  // One random() per row (r), split into independent-enough parts; the user is one of the seeded
  // ones (a few busy accounts, a long tail), so a filter by user finds real accounts. The rows have
  // the size of the service's own: the load's User-Agent (harness.mjs), a request id as long as a UUID.
  await db.query(
    `INSERT INTO security_logs (event_type, user_id, identifier, ip, user_agent, session_id, request_id, details, created_at, mac)
     SELECT t.type,
            CASE WHEN t.type IN ('rate_limited', 'signing_key_rotated') THEN NULL ELSE ${uuid('u', 'r.u')} END,
            CASE WHEN t.type LIKE 'login%' OR t.type = 'rate_limited' THEN 'user' || r.u || '@bench.example.com' END,
            CASE WHEN t.type = 'signing_key_rotated' THEN NULL ELSE '10.0.' || (r.i / 250) || '.' || (r.i % 250 + 1) END,
            $6::text,
            CASE WHEN t.type IN ('login_success', 'token_refreshed', 'logout') THEN ${uuid('s', 'r.u')} END,
            'seed-' || lpad(g::text, 31, '0'),
            CASE WHEN t.type = 'login_failure' THEN '{"reason":"invalid_credentials"}'::jsonb ELSE '{}'::jsonb END,
            now() - interval '${EVENT_DAYS} days' + (g - $1::int) * $3::float8 * interval '1 millisecond',
            sha256(int8send(g))
       FROM generate_series($1::int, $2::int) AS g
      CROSS JOIN LATERAL (SELECT 1 + floor($4::int * x ^ 2)::int AS u, floor(5000 * (x * 7919 - floor(x * 7919)))::int AS i, x * 104729 - floor(x * 104729) AS k
                            FROM (SELECT random() AS x WHERE g > 0 OFFSET 0) AS s) AS r
      CROSS JOIN LATERAL (SELECT ($5::text[])[1 + floor(15 * r.k ^ 2.5)::int] AS type OFFSET 0) AS t`,
    [have + 1, n, spacingMs, Math.max(1, users - 1), TYPES, USER_AGENT],
  );
  // A link for every row without one, in id order after the chain's head: the seeded rows, and the
  // few the service wrote before (its first start's events, which it stopped before sealing). Then
  // `sealed_through` past them all: left below those few, the sealer's first batch would have read
  // every seeded row above them for its links (10⁷ at the large size, during a measurement).
  await db.query(
    `INSERT INTO security_log_links (seq, log_id, chain)
     SELECT $1::bigint + row_number() OVER (ORDER BY l.id), l.id, sha256(int8send(-l.id)) FROM security_logs l
      WHERE NOT EXISTS (SELECT 1 FROM security_log_links k WHERE k.log_id = l.id) ORDER BY l.id`,
    [offset],
  );
  await db.query(
    `INSERT INTO security_log_sealer (id, sealed_through) SELECT 1, max(id) FROM security_logs
     ON CONFLICT (id) DO UPDATE SET sealed_through = EXCLUDED.sealed_through`,
  );
  if (rebuild.length) {
    await db.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    for (const { indexdef } of rebuild) await db.query(indexdef);
  }
  await db.query('COMMIT');
  const insertMs = performance.now() - t0;
  await db.query('VACUUM (ANALYZE) security_logs, security_log_links, users, sessions, refresh_tokens'); // steady state: statistics, visibility map
  return { events: n, ms: round(performance.now() - t0), insertMs: round(insertMs) };
}
