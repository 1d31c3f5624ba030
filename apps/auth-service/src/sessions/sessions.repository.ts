import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { PublicUser, publicUserFromRow } from '../users/user.entity';
import { SECURITY_LOG_COLUMNS, securityLogParams, securityLogPlaceholders, SecurityLogRow } from '../security-log/security-log.repository';
import type { TokenClaim, TokenLookup } from './refresh-token';
import { prepared, PreparedStatements } from '../database/prepared-statements';

/**
 * The one definition of a live session `s` at the time bound to `now` (a placeholder): not revoked,
 * before its absolute end, and holding an unused token before its idle end (one that can refresh).
 * Listing, the 100-session cap and DELETE /sessions/:id all count with it.
 */
const live = (now: string) =>
  `s.revoked_at IS NULL AND s.expires_at > ${now} AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id AND t.used_at IS NULL AND t.expires_at > ${now})`;

/** The PostgreSQL NOTIFY channel on which every revoked session id is announced (revoked-sessions.service.ts). */
export const REVOCATION_CHANNEL = 'tessera_revoked_sessions';

/** The refresh's rotation in one statement (SessionsRepository.rotateInOneStatement): $1–$8, then the `token_refreshed` row's values. */
const ROTATION_STATEMENT = prepared(
  'rotate_refresh_token',
  `WITH presented AS (
     SELECT t.id, s.id AS session_id, s.expires_at AS session_expires_at,
            u.email, u.name, u.roles, u.created_at AS user_created_at,
            LEAST($7::timestamptz, s.expires_at) AS child_expires_at
       FROM refresh_tokens t
       JOIN sessions s ON s.id = t.session_id
       JOIN users u ON u.id = s.user_id
      WHERE t.id = $8 AND t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2
        AND s.id = $3 AND s.user_id = $4 AND s.revoked_at IS NULL AND s.expires_at > $2
        AND u.disabled_at IS NULL
        FOR UPDATE OF t, s
   ), used AS (
     UPDATE refresh_tokens r SET used_at = $2 FROM presented p WHERE r.id = p.id RETURNING r.id
   ), touched AS (
     UPDATE sessions s SET last_used_at = $2 FROM presented p WHERE s.id = p.session_id
   ), successor AS (
     INSERT INTO refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at, lookup_by_hash)
     SELECT $5, p.session_id, p.id, $6, $2, p.child_expires_at, false FROM used JOIN presented p ON p.id = used.id
   ), logged AS (
     INSERT INTO security_logs (${SECURITY_LOG_COLUMNS}) SELECT ${securityLogPlaceholders(8 + 1).join(', ')} FROM presented
   )
   SELECT email, name, roles, user_created_at, session_expires_at, child_expires_at FROM presented`,
);

/**
 * A login's writes and its session cap in one statement (SessionsRepository.insertWithTokenBeyond):
 * $1–$13, then the `login_success` row's values. The new session is counted as live when it is (as
 * `live` would find it once inserted).
 */
const LOGIN_STATEMENT = prepared(
  'start_session',
  `WITH new_session AS (
     INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)
   ), new_token AS (
     INSERT INTO refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at, lookup_by_hash) VALUES ($8, $1, $9, $10, $11, $12, false)
   ), log AS (
     INSERT INTO security_logs (${SECURITY_LOG_COLUMNS}) VALUES (${securityLogPlaceholders(13 + 1).join(', ')})
   )
   SELECT id FROM (
     SELECT s.id, s.last_used_at FROM sessions s WHERE s.user_id = $2 AND ${live('$3')}
     UNION ALL SELECT $1::uuid, $4::timestamptz WHERE $5::timestamptz > $3 AND $12::timestamptz > $3
   ) s ORDER BY s.last_used_at DESC, s.id DESC OFFSET $13`,
);

export interface LockedToken {
  token: RefreshToken;
  session: Session;
  user: PublicUser;
  userDisabled: boolean;
}

export interface OneStatementRotation {
  tokenHash: Buffer;
  /** The row and owner the presented token names (a claim, checked against the rows and the hash). */
  claim: TokenClaim;
  at: Date;
  /** The successor; its expiry is the idle end, cut to the session's end in the statement. */
  child: { id: string; tokenHash: Buffer; expiresAt: Date };
  /** The `token_refreshed` row, MACed before the statement. */
  event: SecurityLogRow;
}

export interface OneStatementRotated {
  user: PublicUser;
  sessionEndsAt: Date;
  successorExpiresAt: Date;
}

export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'reuse'
  | 'password_changed'
  | 'session_deleted'
  | 'token_revoked'
  | 'session_limit'
  | 'admin'
  | 'account_disabled';

@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    private readonly statements: PreparedStatements,
  ) {}

  private sessionRepo(manager?: EntityManager): Repository<Session> {
    return manager ? manager.getRepository(Session) : this.sessions;
  }

  private tokenRepo(manager?: EntityManager): Repository<RefreshToken> {
    return manager ? manager.getRepository(RefreshToken) : this.tokens;
  }

  /**
   * A login's writes and its 100-session cap in one statement (one round trip, LOGIN_STATEMENT): the
   * new session, its first token and the `login_success` row `event`, and the user's live sessions (see `live`) beyond the `keep` most recently used,
   * the new one counted among them. Run it under the user row's lock (SessionsService.start): as a
   * statement of its own it reads every session committed before that lock was granted.
   */
  async insertWithTokenBeyond(session: Session, token: RefreshToken, keep: number, event: SecurityLogRow, manager: EntityManager): Promise<string[]> {
    const params: unknown[] = [
      session.id, session.userId, session.createdAt, session.lastUsedAt, session.expiresAt, session.ip, session.userAgent,
      token.id, token.parentId, token.tokenHash, token.createdAt, token.expiresAt, keep,
      ...securityLogParams(event), // from $14, as LOGIN_STATEMENT places them after the 13 above
    ];
    const rows = await this.statements.query<{ id: string }>(LOGIN_STATEMENT, params, manager);
    return rows.map((row) => row.id);
  }

  /**
   * The hot path of a refresh, in one round trip: the presented token and its session, both locked
   * (concurrent refreshes of one token queue on these row locks until the transaction ends), and
   * the session's user as it is now (roles and status are re-read at every refresh). The user row
   * is read, not locked: a role change or a disable commits on its own and counts from the next refresh.
   */
  async lockTokenWithSession(lookup: TokenLookup, manager: EntityManager): Promise<LockedToken | null> {
    const rows: {
      id: string;
      session_id: string;
      parent_id: string | null;
      created_at: Date;
      used_at: Date | null;
      expires_at: Date;
      user_id: string;
      revoked_at: Date | null;
      session_expires_at: Date;
      email: string;
      name: string | null;
      roles: string[];
      user_created_at: Date;
      disabled: boolean;
    }[] = await manager.query(
      `SELECT t.id, t.session_id, t.parent_id, t.created_at, t.used_at, t.expires_at,
              s.user_id, s.revoked_at, s.expires_at AS session_expires_at,
              u.email, u.name, u.roles, u.created_at AS user_created_at, u.disabled_at IS NOT NULL AS disabled
         FROM refresh_tokens t
         JOIN sessions s ON s.id = t.session_id
         JOIN users u ON u.id = s.user_id
        WHERE ${byLookup(lookup)}
          FOR UPDATE OF t, s`,
      lookupParams(lookup),
    );
    const row = rows[0];
    if (!row) return null;
    const token = Object.assign(new RefreshToken(), {
      id: row.id,
      sessionId: row.session_id,
      parentId: row.parent_id,
      tokenHash: lookup.hash,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      usedAt: row.used_at,
    });
    const session = Object.assign(new Session(), { id: row.session_id, userId: row.user_id, revokedAt: row.revoked_at, expiresAt: row.session_expires_at });
    const user = publicUserFromRow({ id: row.user_id, email: row.email, name: row.name, roles: row.roles, created_at: row.user_created_at });
    return { token, session, user, userDisabled: row.disabled };
  }

  /**
   * The whole of an ordinary refresh (SPEC §4 step 3) in one statement, so one round trip and one
   * transaction: lock the presented token (the row of the id it carries, if its hash matches) and
   * its session, but only if the token is unused and unexpired, the session live and the account
   * enabled, and both belong to the owner the token names; then mark it used, store its successor,
   * touch the session and write the `token_refreshed` row. Returns the user (read under the lock)
   * and the successor's and session's ends, or null when any condition fails: nothing was written,
   * and the caller decides in a transaction of its own (reuse, grace, expiry, a disabled account)
   * with every rule.
   *
   * The successor is inserted from the parent's UPDATE … RETURNING, so the parent is marked used
   * first and the one-live-token-per-session index never sees two. Concurrent refreshes of one
   * token queue on the row lock; PostgreSQL re-checks the conditions on the row as the winner
   * committed it, so every loser finds the token used and gets null.
   */
  async rotateInOneStatement(input: OneStatementRotation): Promise<OneStatementRotated | null> {
    const { id, owner } = input.claim;
    const params: unknown[] = [
      input.tokenHash, input.at, owner.sessionId, owner.userId, input.child.id, input.child.tokenHash, input.child.expiresAt, id,
      ...securityLogParams(input.event), // from $9, as ROTATION_STATEMENT places them after the 8 above
    ];
    const rows: {
      email: string;
      name: string | null;
      roles: string[];
      user_created_at: Date;
      session_expires_at: Date;
      child_expires_at: Date;
    }[] = await this.statements.query(ROTATION_STATEMENT, params);
    const row = rows[0];
    if (!row) return null;
    return {
      user: publicUserFromRow({ id: owner.userId, email: row.email, name: row.name, roles: row.roles, created_at: row.user_created_at }),
      sessionEndsAt: row.session_expires_at,
      successorExpiresAt: row.child_expires_at,
    };
  }

  /** Marks the parent used, then stores its successor and touches the session (one statement). */
  async rotate(parentId: string, child: RefreshToken, at: Date, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE refresh_tokens SET used_at = $1 WHERE id = $2`, [at, parentId]);
    await manager.query(
      `WITH touched AS (UPDATE sessions SET last_used_at = $1 WHERE id = $2)
       INSERT INTO refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at, lookup_by_hash) VALUES ($3, $2, $4, $5, $1, $6, false)`,
      [at, child.sessionId, child.id, parentId, child.tokenHash, child.expiresAt],
    );
  }

  /** The row of a presented token, whatever its state (see TokenLookup). */
  findToken(lookup: TokenLookup): Promise<RefreshToken | null> {
    return this.tokens.findOneBy(lookup.id === null ? { tokenHash: lookup.hash, lookupByHash: true } : { id: lookup.id, tokenHash: lookup.hash });
  }

  findSuccessor(parentId: string, manager: EntityManager): Promise<RefreshToken | null> {
    return this.tokenRepo(manager).findOneBy({ parentId });
  }

  findById(id: string, manager?: EntityManager): Promise<Session | null> {
    return this.sessionRepo(manager).findOneBy({ id });
  }

  /** Revokes sessions that are not revoked yet; returns the ids it revoked (so that each revocation is counted once). */
  /**
   * Revokes sessions that are not revoked yet; returns the ids it revoked (so that each revocation
   * is counted once). Each one is also announced on REVOCATION_CHANNEL in the same statement: the
   * NOTIFY is delivered to every instance's listener when the transaction commits, and never if it
   * rolls back.
   */
  async revoke(where: { ids?: string[]; userId?: string; exceptId?: string }, reason: RevocationReason, at: Date, manager?: EntityManager): Promise<string[]> {
    const params: unknown[] = [at, reason];
    const conditions = ['revoked_at IS NULL'];
    if (where.ids) conditions.push(`id = ANY($${params.push(where.ids)}::uuid[])`);
    if (where.userId) conditions.push(`user_id = $${params.push(where.userId)}`);
    if (where.exceptId) conditions.push(`id <> $${params.push(where.exceptId)}`);
    const rows: { id: string }[] = await (manager ?? this.sessions.manager).query(
      // revoked_xid: this transaction's id, which orders the revocation feed (revocation-feed.service.ts).
      `WITH revoked AS (UPDATE sessions SET revoked_at = $1, revoked_reason = $2, revoked_xid = pg_current_xact_id() WHERE ${conditions.join(' AND ')} RETURNING id)
       SELECT id, pg_notify('${REVOCATION_CHANNEL}', id::text) FROM revoked`,
      params,
    );
    return rows.map((row) => row.id);
  }

  /** Whether this session is the user's and live. */
  async isLiveSessionOf(userId: string, sessionId: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.sessions.query(
      `SELECT 1 FROM sessions s
        WHERE s.id = $1 AND s.user_id = $2 AND ${live('$3')}`,
      [sessionId, userId, now],
    );
    return rows.length > 0;
  }

  /**
   * Whether the account of `email` started a session from `ip` since `since`, revoked or not
   * (sessions_user_ip_idx). One query whether or not the account exists.
   */
  async signedInFrom(email: string, ip: string, since: Date): Promise<boolean> {
    const rows: unknown[] = await this.sessions.query(
      `SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE u.email = $1 AND s.ip = $2 AND s.created_at > $3 LIMIT 1`,
      [email, ip, since],
    );
    return rows.length > 0;
  }

  /** The user's live sessions (see `live`), most recently used first. */
  findLive(userId: string, now: Date): Promise<Session[]> {
    return this.sessions
      .createQueryBuilder('s')
      .where(`s.user_id = :userId AND ${live(':now')}`, { userId, now })
      .orderBy('s.last_used_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
  }

  async findRevokedSince(since: Date): Promise<{ id: string; revokedAt: Date }[]> {
    const rows = await this.sessions
      .createQueryBuilder('s')
      .select(['s.id', 's.revokedAt'])
      .where('s.revoked_at >= :since', { since })
      .getMany();
    return rows.map((s) => ({ id: s.id, revokedAt: s.revokedAt as Date }));
  }

  async isRevoked(id: string): Promise<boolean> {
    const row = await this.sessions.findOne({ select: { id: true, revokedAt: true }, where: { id } });
    return Boolean(row?.revokedAt);
  }

  /**
   * One batch of housekeeping: tokens past their idle end for a day, and sessions that ended (past
   * their absolute end, or revoked) more than a day ago (their tokens go with them by cascade).
   * Revoked sessions stay a day so that the revocation cache can be reloaded and the feed served.
   */
  async purgeBatch(now: Date, batchSize: number): Promise<{ tokens: number; sessions: number }> {
    const dayAgo = new Date(now.getTime() - 86_400_000);
    const tokens = await this.tokens.query(
      `DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)`,
      [dayAgo, batchSize],
    );
    const sessions = await this.sessions.query(
      `DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2)`,
      [dayAgo, batchSize],
    );
    return { tokens: affected(tokens), sessions: affected(sessions) };
  }
}

/**
 * The condition that finds a presented token's row `t`, with lookupParams: by primary key and
 * hash, or by hash among the rows found so (the partial index refresh_tokens_hash_lookup_key).
 */
function byLookup(lookup: TokenLookup): string {
  return lookup.id === null ? 't.token_hash = $1 AND t.lookup_by_hash' : 't.id = $2 AND t.token_hash = $1';
}

function lookupParams(lookup: TokenLookup): unknown[] {
  return lookup.id === null ? [lookup.hash] : [lookup.hash, lookup.id];
}

function affected(result: unknown): number {
  // TypeORM's postgres driver answers a DELETE with [rows, count].
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
