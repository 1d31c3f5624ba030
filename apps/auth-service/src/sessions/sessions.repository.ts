import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';

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
  ) {}

  private sessionRepo(manager?: EntityManager): Repository<Session> {
    return manager ? manager.getRepository(Session) : this.sessions;
  }

  private tokenRepo(manager?: EntityManager): Repository<RefreshToken> {
    return manager ? manager.getRepository(RefreshToken) : this.tokens;
  }

  async insertWithToken(session: Session, token: RefreshToken, manager: EntityManager): Promise<void> {
    await this.sessionRepo(manager).insert(session);
    await this.tokenRepo(manager).insert(token);
  }

  /** The presented token's row, locked until the transaction ends: concurrent refreshes of one token queue here. */
  lockTokenByHash(tokenHash: Buffer, manager: EntityManager): Promise<RefreshToken | null> {
    return this.tokenRepo(manager).createQueryBuilder('t').setLock('pessimistic_write').where('t.token_hash = :tokenHash', { tokenHash }).getOne();
  }

  lockSession(id: string, manager: EntityManager): Promise<Session | null> {
    return this.sessionRepo(manager).createQueryBuilder('s').setLock('pessimistic_write').where('s.id = :id', { id }).getOne();
  }

  findTokenByHash(tokenHash: Buffer): Promise<RefreshToken | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  findSuccessor(parentId: string, manager: EntityManager): Promise<RefreshToken | null> {
    return this.tokenRepo(manager).findOneBy({ parentId });
  }

  async markUsed(tokenId: string, at: Date, manager: EntityManager): Promise<void> {
    await this.tokenRepo(manager).update({ id: tokenId }, { usedAt: at });
  }

  async insertToken(token: RefreshToken, manager: EntityManager): Promise<void> {
    await this.tokenRepo(manager).insert(token);
  }

  async touchSession(id: string, at: Date, manager: EntityManager): Promise<void> {
    await this.sessionRepo(manager).update({ id }, { lastUsedAt: at });
  }

  findById(id: string, manager?: EntityManager): Promise<Session | null> {
    return this.sessionRepo(manager).findOneBy({ id });
  }

  /** Revokes sessions that are not revoked yet; returns the ids it revoked (so that each revocation is counted once). */
  async revoke(where: { ids?: string[]; userId?: string; exceptId?: string }, reason: RevocationReason, at: Date, manager?: EntityManager): Promise<string[]> {
    const qb = this.sessionRepo(manager)
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: at, revokedReason: reason })
      .where('revoked_at IS NULL');
    if (where.ids) qb.andWhere('id IN (:...ids)', { ids: where.ids.length ? where.ids : ['00000000-0000-0000-0000-000000000000'] });
    if (where.userId) qb.andWhere('user_id = :userId', { userId: where.userId });
    if (where.exceptId) qb.andWhere('id <> :exceptId', { exceptId: where.exceptId });
    const result = await qb.returning(['id']).execute();
    return (result.raw as { id: string }[]).map((row) => row.id);
  }

  /** Live sessions of a user beyond the `keep` most recently used ones (the 100-session cap). */
  async findLeastRecentlyUsedBeyond(userId: string, keep: number, now: Date, manager: EntityManager): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
        ORDER BY last_used_at DESC, id DESC OFFSET $3`,
      [userId, now, keep],
    );
    return rows.map((row) => row.id);
  }

  /** Sessions that can still refresh: not revoked, before their absolute end, with an unused token before its idle end. */
  findLive(userId: string, now: Date): Promise<Session[]> {
    return this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > :now', { userId, now })
      .andWhere('EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id AND t.used_at IS NULL AND t.expires_at > :now)', { now })
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

function affected(result: unknown): number {
  // TypeORM's postgres driver answers a DELETE with [rows, count].
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
