import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Transactions, Tx } from '../database/transactions';
import { DataKeys } from '../keys/data-keys.service';
import { PublicUser } from '../users/user.entity';
import { SecurityEventInput } from '../security-log/security-event';
import { SecurityLogService } from '../security-log/security-log.service';
import { RefreshToken } from './refresh-token.entity';
import { claimOf, deriveSuccessorToken, generateRefreshToken, hashRefreshToken, lookupOf, newRefreshTokenId, successorAsIssued } from './refresh-token';
import { RevokedSessions } from './revoked-sessions.service';
import { decideRefresh, RefreshFailure, secondsUntil, successorExpiry } from './rotation';
import { Session } from './session.entity';
import { LockedToken, RevocationReason, SessionsRepository } from './sessions.repository';

export interface RevokeWhere {
  ids?: string[];
  userId?: string;
  exceptId?: string;
}

export interface IssuedRefreshToken {
  userId: string;
  sessionId: string;
  refreshToken: string;
  /** Seconds: the smaller of the idle lifetime and the time left to the session's absolute end. */
  refreshExpiresIn: number;
  /** The session's absolute end: no token of it outlives it, the access token included. */
  sessionEndsAt: Date;
}

/** A successful rotation carries the user as read under the lock: what the access token is signed for. */
export type RotationResult = ({ ok: true; user: PublicUser } & IssuedRefreshToken) | { ok: false; reason: RefreshFailure; userId?: string; sessionId?: string };

export interface SessionView {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}

/** A user holds at most this many live sessions; a login past it revokes the least recently used. */
export const MAX_LIVE_SESSIONS = 100;

@Injectable()
export class SessionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsRepository,
    private readonly revoked: RevokedSessions,
    private readonly transactions: Transactions,
    private readonly securityLog: SecurityLogService,
    private readonly dataKeys: DataKeys,
  ) {}

  /**
   * A login: a new session (token family), its first refresh token and `login_success`, in one
   * transaction. `stillValid` runs first in that transaction: it locks what the login was decided
   * on (the user row) and says whether it still holds; when it does not, nothing is created (null).
   * Logins of one user take turns on that lock, so the 100-session cap counts every other login.
   */
  async start(userId: string, identifier: string, client: RequestContext, stillValid: (manager: EntityManager) => Promise<boolean>): Promise<IssuedRefreshToken | null> {
    const now = new Date();
    const { refreshTtl, sessionMaxAge } = this.config.tokens;
    const session = Object.assign(new Session(), {
      id: randomUUID(),
      userId,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + sessionMaxAge * 1000),
      ip: client.ip?.slice(0, 64) ?? null,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      revokedAt: null,
      revokedReason: null,
    });
    const tokenId = newRefreshTokenId();
    const refreshToken = generateRefreshToken(tokenId, { sessionId: session.id, userId });
    const token = this.newToken(tokenId, session.id, null, refreshToken, successorExpiry(now, refreshTtl, session.expiresAt), now);
    const started = await this.transactions.run(async (tx) => {
      const { manager } = tx;
      if (!(await stillValid(manager))) return false;
      const login: SecurityEventInput = { type: 'login_success', userId, identifier, sessionId: session.id };
      const beyond = await this.sessions.insertWithTokenBeyond(session, token, MAX_LIVE_SESSIONS, this.securityLog.rowOf(login, client), manager);
      const evictedIds = beyond.length ? await this.revokeAndAnnounce(tx, { ids: beyond }, 'session_limit', now) : [];
      if (evictedIds.length) {
        await this.securityLog.record(
          evictedIds.map((id): SecurityEventInput => ({ type: 'session_revoked', userId, sessionId: id, details: { via: 'session_limit' } })),
          client,
          manager,
        );
      }
      return true;
    });
    if (!started) return null;
    return { userId, sessionId: session.id, refreshToken, refreshExpiresIn: secondsUntil(token.expiresAt, now), sessionEndsAt: session.expiresAt };
  }

  /**
   * One refresh (SPEC §4). An ordinary one (a live token of an enabled account) is one statement
   * (`rotateInOneStatement`): one round trip, its own transaction. Everything else, and tokens of an
   * earlier shape (no row id in them), goes through `rotateLocked`, which decides every rule in one
   * transaction.
   */
  async rotate(presented: string, context: RequestContext): Promise<RotationResult> {
    const claim = claimOf(presented);
    if (claim) {
      const { owner } = claim;
      const now = new Date();
      const childId = newRefreshTokenId();
      const next = deriveSuccessorToken(presented, childId, owner, this.dataKeys.key('refresh-successor'));
      const rotated = await this.sessions.rotateInOneStatement({
        tokenHash: hashRefreshToken(presented),
        claim,
        at: now,
        child: { id: childId, tokenHash: hashRefreshToken(next), expiresAt: new Date(now.getTime() + this.config.tokens.refreshTtl * 1000) },
        event: this.securityLog.rowOf({ type: 'token_refreshed', userId: owner.userId, sessionId: owner.sessionId }, context),
      });
      if (rotated) {
        const { user, sessionEndsAt, successorExpiresAt } = rotated;
        return { ok: true, user, ...owner, refreshToken: next, refreshExpiresIn: secondsUntil(successorExpiresAt, now), sessionEndsAt };
      }
    }
    return this.rotateLocked(presented, context);
  }

  /**
   * A refresh decided in one transaction that locks the presented token's row. A reuse revokes the
   * family and commits before the caller answers 401, so the revocation stands. A session whose
   * account was disabled is revoked here too, and the refresh fails as `revoked`.
   */
  private async rotateLocked(presented: string, context: RequestContext): Promise<RotationResult> {
    const now = new Date();
    return this.transactions.run(async (tx): Promise<RotationResult> => {
      const { manager } = tx;
      const locked = await this.sessions.lockTokenWithSession(lookupOf(presented), manager);
      const token = locked?.token ?? null;
      const session = locked?.session ?? null;
      const successor = token?.usedAt ? await this.sessions.findSuccessor(token.id, manager) : null;
      const decision = decideRefresh(token, session, successor, now, this.config.tokens.reuseGrace);
      if (decision.action === 'fail') return { ok: false, reason: decision.reason, userId: session?.userId, sessionId: session?.id };
      const { user, userDisabled } = locked as LockedToken;
      const { id: sessionId, userId } = session as Session;
      if ((decision.action === 'rotate' || decision.action === 'reissue_successor') && userDisabled) {
        await this.revokeAndAnnounce(tx, { ids: [sessionId] }, 'account_disabled', now);
        return { ok: false, reason: 'revoked', userId, sessionId };
      }
      // Derived from the rows' owner, not the token's claim: a token of an earlier shape gets a
      // successor of the current one (its row's id, its owner), and the fast path from then on.
      const owner = { sessionId, userId };
      const successorKey = this.dataKeys.key('refresh-successor');
      if (decision.action === 'reissue_successor' && successor) {
        const again = successorAsIssued(presented, successor, owner, successorKey);
        if (again) {
          return { ok: true, user, userId, sessionId, refreshToken: again, refreshExpiresIn: secondsUntil(successor.expiresAt, now), sessionEndsAt: (session as Session).expiresAt };
        }
      }
      if (decision.action === 'report_reuse') {
        // Nothing left to revoke; the attempt is still a reuse, and recorded as one.
        await this.securityLog.record(
          { type: 'refresh_token_reuse_detected', userId, sessionId, details: { token_id: (token as RefreshToken).id, session_already_revoked: true } },
          context,
          manager,
        );
        return { ok: false, reason: 'reused', userId, sessionId };
      }
      if (decision.action !== 'rotate') {
        await this.revokeAndAnnounce(tx, { ids: [sessionId] }, 'reuse', now);
        // One event per fact: a detected reuse is this event only (no refresh_failed beside it).
        await this.securityLog.record({ type: 'refresh_token_reuse_detected', userId, sessionId, details: { token_id: (token as RefreshToken).id } }, context, manager);
        return { ok: false, reason: 'reused', userId, sessionId };
      }
      const parent = token as RefreshToken;
      const childId = newRefreshTokenId();
      const next = deriveSuccessorToken(presented, childId, owner, successorKey);
      const child = this.newToken(childId, sessionId, parent.id, next, successorExpiry(now, this.config.tokens.refreshTtl, (session as Session).expiresAt), now);
      await this.sessions.rotate(parent.id, child, now, manager);
      await this.securityLog.record({ type: 'token_refreshed', userId, sessionId }, context, manager);
      return { ok: true, user, userId, sessionId, refreshToken: next, refreshExpiresIn: secondsUntil(child.expiresAt, now), sessionEndsAt: (session as Session).expiresAt };
    });
  }

  /** The session of a refresh token, whatever its state; undefined for an unknown token. */
  async sessionOfToken(presented: string): Promise<{ sessionId: string; userId: string; used: boolean } | undefined> {
    const token = await this.sessions.findToken(lookupOf(presented));
    const session = token && (await this.sessions.findById(token.sessionId));
    return token && session ? { sessionId: token.sessionId, userId: session.userId, used: token.usedAt !== null } : undefined;
  }


  /**
   * Revokes, records the events `events` makes of the ids newly revoked (in the same transaction),
   * and once committed tells every instance's guard. Returns the ids newly revoked.
   */
  revoke(where: RevokeWhere, reason: RevocationReason, context: RequestContext, events?: (ids: string[]) => SecurityEventInput[]): Promise<string[]> {
    return this.transactions.run((tx) => this.revokeInTransaction(tx, where, reason, context, events));
  }

  /** The same inside a caller's transaction; the guards are told when (and only if) it commits. */
  async revokeInTransaction(tx: Tx, where: RevokeWhere, reason: RevocationReason, context: RequestContext, events?: (ids: string[]) => SecurityEventInput[]): Promise<string[]> {
    const ids = await this.revokeAndAnnounce(tx, where, reason, new Date());
    const records = events?.(ids) ?? [];
    if (records.length) await this.securityLog.record(records, context, tx.manager);
    return ids;
  }

  /** Every revocation goes through here: the announcement to other instances cannot be forgotten. */
  private async revokeAndAnnounce(tx: Tx, where: RevokeWhere, reason: RevocationReason, at: Date): Promise<string[]> {
    const ids = await this.sessions.revoke(where, reason, at, tx.manager);
    if (ids.length) tx.afterCommit(() => this.revoked.add(ids, at));
    return ids;
  }

  /** DELETE /sessions/:id: only a live session of this user (one GET /sessions lists); false otherwise (so ids cannot be probed). */
  async revokeOwn(userId: string, sessionId: string, context: RequestContext): Promise<boolean> {
    if (!(await this.sessions.isLiveSessionOf(userId, sessionId, new Date()))) return false;
    const ids = await this.revoke({ ids: [sessionId], userId }, 'session_deleted', context, (revoked) =>
      revoked.map((id) => ({ type: 'session_revoked', userId, sessionId: id, details: { via: 'sessions_endpoint' } })),
    );
    return ids.length > 0;
  }

  /** SPEC §6's known address: the account signed in from `ip` within the last `days` days. */
  signedInRecentlyFrom(email: string, ip: string | null, days: number): Promise<boolean> {
    if (!ip) return Promise.resolve(false);
    return this.sessions.signedInFrom(email, ip.slice(0, 64), new Date(Date.now() - days * 86_400_000));
  }

  isRevoked(sessionId: string): Promise<boolean> {
    return this.revoked.isRevoked(sessionId);
  }

  async listLive(userId: string, currentSessionId: string): Promise<SessionView[]> {
    const sessions = await this.sessions.findLive(userId, new Date());
    return sessions.map((s) => ({
      id: s.id,
      created_at: s.createdAt.toISOString(),
      last_used_at: s.lastUsedAt.toISOString(),
      expires_at: s.expiresAt.toISOString(),
      ip: s.ip,
      user_agent: s.userAgent,
      current: s.id === currentSessionId,
    }));
  }

  private newToken(id: string, sessionId: string, parentId: string | null, token: string, expiresAt: Date, now: Date): RefreshToken {
    return Object.assign(new RefreshToken(), {
      id,
      sessionId,
      parentId,
      tokenHash: hashRefreshToken(token),
      createdAt: now,
      expiresAt,
      usedAt: null,
    });
  }
}
