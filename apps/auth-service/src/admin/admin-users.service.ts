import { Injectable } from '@nestjs/common';
import { LockoutService, LockState } from '../abuse/lockout.service';
import { AppError } from '../common/app-error';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { Transactions } from '../database/transactions';
import { Actor } from '../common/request-context';
import { SecurityLogRepository } from '../security-log/security-log.repository';
import { SecurityLogService } from '../security-log/security-log.service';
import { SessionsService, SessionView } from '../sessions/sessions.service';
import { PublicUser } from '../users/user.entity';
import { Account, UsersService } from '../users/users.service';
import { AdminUsersQueryDto } from './dto/admin-users.dto';

export interface AdminUser extends PublicUser {
  disabled: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The admin user endpoints of SPEC §2; every change is recorded with `actor_id`. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly securityLog: SecurityLogService,
    private readonly transactions: Transactions,
    private readonly lockout: LockoutService,
    private readonly logs: SecurityLogRepository,
  ) {}

  async list(query: AdminUsersQueryDto): Promise<{ items: AdminUser[]; next_cursor: string | null }> {
    const limit = query.limit ?? 50;
    const rows = await this.users.page(query.email, decodeCursor(query.cursor, UUID), limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(adminView), next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: new Date(last.created_at), id: last.id }) : null };
  }

  async get(id: string): Promise<{ user: AdminUser; status: 'active' | 'disabled'; sessions: Omit<SessionView, 'current'>[]; lock: LockState }> {
    const account = await this.find(id);
    const sessions = (await this.sessions.listLive(account.id, '')).map(({ current: _, ...session }) => session);
    // Address locks are found through the log's lock events (the counters are keyed by hashes), then checked against the counters.
    const since = new Date(Date.now() - LockoutService.LONGEST_LOCK_SECONDS * 1000);
    const lock = await this.lockout.state(account.email, await this.logs.lockedAddresses(account.email, since));
    return { user: adminView(account), status: account.disabled ? 'disabled' : 'active', sessions, lock };
  }

  /** Ends every lock of the account's identifier (identifier-wide and per address) and its failure counts. */
  async unlock(id: string, actor: Actor): Promise<void> {
    const account = await this.find(id);
    await this.lockout.unlock(account.email);
    await this.transactions.run(async ({ manager }) => {
      await this.securityLog.record({ type: 'account_unlocked', userId: account.id, identifier: account.email, details: { actor_id: actor.id } }, actor.context, manager);
    });
  }

  /**
   * Disabling revokes every session at once, in the same transaction, and refuses login and
   * refresh. An admin cannot disable themselves, nor the last enabled admin.
   */
  async disable(id: string, actor: Actor): Promise<void> {
    const account = await this.find(id);
    if (account.id === actor.id) throw invalid('id', 'an admin cannot disable their own account');
    await this.transactions.run(async (tx) => {
      const { manager } = tx;
      if (account.roles.includes('admin') && !(await this.users.lockAdminsAndFindOther(account.id, manager))) {
        throw invalid('id', 'the last enabled admin cannot be disabled');
      }
      await this.users.setDisabled(account.id, true, manager);
      const ids = await this.sessions.revokeInTransaction(tx, { userId: account.id }, 'account_disabled', actor.context);
      await this.securityLog.record(
        { type: 'admin_action', userId: account.id, identifier: account.email, details: { action: 'user.disable', actor_id: actor.id, revoked_sessions: ids.length } },
        actor.context,
        manager,
      );
    });
  }

  async enable(id: string, actor: Actor): Promise<void> {
    const account = await this.find(id);
    await this.transactions.run(async ({ manager }) => {
      await this.users.setDisabled(account.id, false, manager);
      await this.securityLog.record({ type: 'admin_action', userId: account.id, identifier: account.email, details: { action: 'user.enable', actor_id: actor.id } }, actor.context, manager);
    });
  }

  /**
   * An added role takes effect at the user's next refresh (roles are re-read there). A removed role
   * takes effect at once: the user's sessions are revoked, so that no access token still carries
   * it (a demoted admin could otherwise use their token to promote themselves back). The last
   * enabled admin keeps the role.
   */
  async setRoles(id: string, roles: string[], actor: Actor): Promise<{ user: AdminUser }> {
    const account = await this.find(id);
    const unique = [...new Set(roles)];
    const removed = account.roles.filter((role) => !unique.includes(role));
    await this.transactions.run(async (tx) => {
      const { manager } = tx;
      if (removed.includes('admin') && !account.disabled && !(await this.users.lockAdminsAndFindOther(account.id, manager))) {
        throw invalid('roles', 'the last enabled admin must keep the admin role');
      }
      await this.users.setRoles(account.id, unique, manager);
      const ids = removed.length
        ? await this.sessions.revokeInTransaction(tx, { userId: account.id }, 'admin', actor.context, (revokedIds) =>
            revokedIds.map((sessionId) => ({ type: 'session_revoked', userId: account.id, identifier: account.email, sessionId, details: { via: 'roles_removed', actor_id: actor.id } })),
          )
        : [];
      await this.securityLog.record(
        { type: 'admin_action', userId: account.id, identifier: account.email, details: { action: 'user.roles', actor_id: actor.id, roles: unique, previous: account.roles, revoked_sessions: ids.length } },
        actor.context,
        manager,
      );
    });
    return { user: { ...adminView(account), roles: unique } };
  }

  async revokeSessions(id: string, actor: Actor): Promise<void> {
    const account = await this.find(id);
    await this.sessions.revoke({ userId: account.id }, 'admin', actor.context, (ids) =>
      ids.map((sessionId) => ({ type: 'session_revoked', userId: account.id, identifier: account.email, sessionId, details: { via: 'admin', actor_id: actor.id } })),
    );
  }

  private async find(id: string): Promise<Account> {
    // UUIDs in any case name the same row; the lower-case form is the one compared with the actor's.
    const account = UUID.test(id) ? await this.users.findById(id.toLowerCase()) : null;
    if (!account) throw new AppError('not_found', 'User not found');
    return account;
  }
}

function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', 'Request validation failed', [{ field, message }]);
}

function adminView(account: Account): AdminUser {
  return { id: account.id, email: account.email, name: account.name, roles: account.roles, created_at: account.created_at, disabled: account.disabled };
}
