import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { RequestContext } from '../common/request-context';
import { Transactions } from '../database/transactions';
import { SecurityLogService } from '../security-log/security-log.service';
import { SessionsService } from '../sessions/sessions.service';
import { normalizePassword } from '../users/password-policy';
import { PasswordHasher } from '../users/password-hasher.service';
import { UsersService } from '../users/users.service';
import { ChangePasswordDto } from './dto/change-password.dto';
import { MAX_PASSWORD_CHECKS } from './login.service';

/** POST /api/auth/password (SPEC §2). */
@Injectable()
export class PasswordService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly securityLog: SecurityLogService,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Checks the current password, applies the policy to the new one, and revokes every other
   * session of the user (a stolen session must not survive a password change).
   */
  async changePassword(userId: string, sessionId: string, dto: ChangePasswordDto, context: RequestContext): Promise<void> {
    let account = await this.users.activeAccount(userId);
    const currentPassword = normalizePassword(dto.current_password);
    const incorrect = (message: string) => new AppError('validation_failed', 'Request validation failed', [{ field: 'current_password', message }]);
    // 400, not 401: a 401 would make clients refresh their token and retry.
    if (!(await this.hasher.verify(account.passwordHash, currentPassword)).valid) throw incorrect('current_password is incorrect');
    const policy = this.users.checkNewPassword(dto.new_password, account.email);
    if (!policy.ok) throw new AppError('validation_failed', 'Request validation failed', [{ field: 'new_password', message: `new_password ${policy.message}` }]);
    const passwordHash = await this.hasher.hash(policy.value); // outside the transaction: argon2 is slow
    for (let attempt = 1; ; attempt++) {
      const verifiedHash = account.passwordHash;
      const changed = await this.transactions.run(async (tx) => {
        const { manager } = tx;
        // Under the user row's lock: the current password checked above must still be the account's
        // (of two changes at once, the second must not succeed on a password that no longer holds).
        if (!(await this.users.lockIfUnchanged(userId, verifiedHash, manager))) return false;
        await this.users.updatePasswordHash(userId, passwordHash, manager);
        const ids = await this.sessions.revokeInTransaction(tx, { userId, exceptId: sessionId }, 'password_changed', context);
        await this.securityLog.record({ type: 'password_changed', userId, identifier: account.email, sessionId, details: { revoked_sessions: ids.length } }, context, manager);
        return true;
      });
      if (changed) return;
      // The hash changed meanwhile: another change (then the current password no longer holds), or
      // a login's rehash of the same password (then it still does, and the change goes ahead).
      account = await this.users.activeAccount(userId);
      if (attempt >= MAX_PASSWORD_CHECKS || !(await this.hasher.verify(account.passwordHash, currentPassword)).valid) {
        throw incorrect('current_password is no longer the account password');
      }
    }
  }
}
