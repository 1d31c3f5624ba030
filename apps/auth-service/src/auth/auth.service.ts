import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error';
import { RequestContext } from '../common/request-context';
import { SecurityLogService } from '../security-log/security-log.service';
import { SessionsService } from '../sessions/sessions.service';
import { normalizeEmail } from '../users/email';
import { checkPasswordPolicy, normalizePassword } from '../users/password-policy';
import { PasswordHasher } from '../users/password-hasher.service';
import { PublicUser } from '../users/user.entity';
import { Account, publicView, UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { TokenResponseDto } from './dto/token-response.dto';

/** How many times a login or a password change checks the password when the hash keeps changing under it (rehashes by concurrent logins). */
const MAX_PASSWORD_CHECKS = 3;

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokenService,
    private readonly securityLog: SecurityLogService,
    private readonly dataSource: DataSource,
  ) {}

  register(dto: RegisterDto, context: RequestContext): Promise<PublicUser> {
    return this.users.register({ email: dto.email, password: dto.password, name: dto.name ?? null }, context);
  }

  /**
   * An unknown email and a wrong password do the same work (one lookup, one argon2 verification)
   * and answer the same error, so neither the body nor the time tells whether an account exists.
   */
  async login(dto: LoginDto, client: RequestContext): Promise<TokenResponseDto> {
    const email = normalizeEmail(dto.email);
    const password = normalizePassword(dto.password);
    const identifier = email.ok ? email.value : dto.email.trim().toLowerCase().slice(0, 254);
    let account = email.ok ? await this.users.findByEmail(email.value) : null;
    if (!account) {
      await this.hasher.verifyDummy(password);
      this.securityLog.enqueue({ type: 'login_failure', identifier, details: { reason: 'unknown_user' } }, client);
      throw invalidCredentials();
    }
    // The password is checked outside any transaction (argon2 is slow); the session is created only
    // if, under the user row's lock, the hash it was checked against is still the account's and the
    // account is still enabled. A password change or a disable racing this login thus revokes its
    // session or refuses it. When the hash changed meanwhile, the password is checked again against
    // the new one: a concurrent login's rehash changes the hash, not the password.
    for (let attempt = 1; ; attempt++) {
      const current: Account = account;
      const check = await this.hasher.verify(current.passwordHash, password);
      if (!check.valid || current.disabled) {
        this.securityLog.enqueue({ type: 'login_failure', userId: current.id, identifier, details: { reason: check.valid ? 'disabled' : 'bad_password' } }, client);
        throw invalidCredentials();
      }
      let verifiedHash = current.passwordHash;
      if (check.needsRehash) {
        const rehashed = await this.hasher.hash(password);
        if (await this.users.replacePasswordHash(current.id, verifiedHash, rehashed)) verifiedHash = rehashed;
      }
      const issued = await this.sessions.start(current.id, identifier, client, (manager) => this.users.lockIfUnchanged(current.id, verifiedHash, manager));
      if (issued) return this.accessTokens.tokenResponse(current, issued);
      account = attempt < MAX_PASSWORD_CHECKS ? await this.users.findById(current.id) : null;
      if (!account) {
        this.securityLog.enqueue({ type: 'login_failure', userId: current.id, identifier, details: { reason: 'credentials_changed' } }, client);
        throw invalidCredentials();
      }
    }
  }

  async me(userId: string): Promise<PublicUser> {
    return publicView(await this.activeAccount(userId));
  }

  /**
   * Checks the current password, applies the policy to the new one, and revokes every other
   * session of the user (a stolen session must not survive a password change).
   */
  async changePassword(userId: string, sessionId: string, dto: ChangePasswordDto, context: RequestContext): Promise<void> {
    let account = await this.activeAccount(userId);
    const currentPassword = normalizePassword(dto.current_password);
    const incorrect = (message: string) => new AppError('validation_failed', 'Request validation failed', [{ field: 'current_password', message }]);
    // 400, not 401: a 401 would make clients refresh their token and retry.
    if (!(await this.hasher.verify(account.passwordHash, currentPassword)).valid) throw incorrect('current_password is incorrect');
    const policy = checkPasswordPolicy(dto.new_password, account.email);
    if (!policy.ok) throw new AppError('validation_failed', 'Request validation failed', [{ field: 'new_password', message: `new_password ${policy.message}` }]);
    const passwordHash = await this.hasher.hash(policy.value); // outside the transaction: argon2 is slow
    for (let attempt = 1; ; attempt++) {
      const verifiedHash = account.passwordHash;
      const revoked = await this.dataSource.transaction(async (manager) => {
        // Under the user row's lock: the current password checked above must still be the account's
        // (of two changes at once, the second must not succeed on a password that no longer holds).
        if (!(await this.users.lockIfUnchanged(userId, verifiedHash, manager))) return null;
        await this.users.updatePasswordHash(userId, passwordHash, manager);
        const ids = await this.sessions.revokeInTransaction(manager, { userId, exceptId: sessionId }, 'password_changed', context);
        await this.securityLog.record({ type: 'password_changed', userId, identifier: account.email, sessionId, details: { revoked_sessions: ids.length } }, context, manager);
        return ids;
      });
      if (revoked) {
        await this.sessions.announceRevoked(revoked);
        return;
      }
      // The hash changed meanwhile: another change (then the current password no longer holds), or
      // a login's rehash of the same password (then it still does, and the change goes ahead).
      account = await this.activeAccount(userId);
      if (attempt >= MAX_PASSWORD_CHECKS || !(await this.hasher.verify(account.passwordHash, currentPassword)).valid) {
        throw incorrect('current_password is no longer the account password');
      }
    }
  }

  private async activeAccount(userId: string): Promise<Account> {
    const account = await this.users.findById(userId);
    if (!account || account.disabled) throw AppError.unauthorized('Account no longer active', true);
    return account;
  }
}

function invalidCredentials(): AppError {
  return new AppError('invalid_credentials', 'Invalid email or password');
}
