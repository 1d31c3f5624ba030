import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { RequestContext } from '../common/request-context';
import { SecurityLogService } from '../security-log/security-log.service';
import { SessionsService } from '../sessions/sessions.service';
import { parseEmailForLookup } from '../users/email';
import { normalizePassword } from '../users/password-policy';
import { PasswordHasher } from '../users/password-hasher.service';
import { Account, UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { LoginDto } from './dto/login.dto';
import { TokenResponseDto } from './dto/token-response.dto';

/** How many times a login checks the password when the hash keeps changing under it (rehashes by concurrent logins). */
export const MAX_PASSWORD_CHECKS = 3;

/** POST /api/auth/login (SPEC §2, §6). */
@Injectable()
export class LoginService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokenService,
    private readonly securityLog: SecurityLogService,
  ) {}

  /**
   * An unknown email and a wrong password do the same work (one lookup, one argon2 verification)
   * and answer the same error, so neither the body nor the time tells whether an account exists.
   */
  async login(dto: LoginDto, client: RequestContext): Promise<TokenResponseDto> {
    const email = parseEmailForLookup(dto.email);
    const password = normalizePassword(dto.password);
    const identifier = email.ok ? email.value.value : dto.email.trim().toLowerCase().slice(0, 254);
    let account = email.ok ? await this.users.findByAddress(email.value) : null;
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
}

function invalidCredentials(): AppError {
  return new AppError('invalid_credentials', 'Invalid email or password');
}
