import { Injectable } from '@nestjs/common';
import { LockoutService } from '../abuse/lockout.service';
import { AppError } from '../common/app-error';
import { RequestContext } from '../common/request-context';
import { SecurityLogService } from '../security-log/security-log.service';
import { SessionsService } from '../sessions/sessions.service';
import { Metrics } from '../infra/metrics.service';
import { parseEmailForLookup } from '../users/email';
import { normalizePassword } from '../users/password-policy';
import { PasswordHasher } from '../users/password-hasher.service';
import { Account, UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { LoginDto } from './dto/login.dto';
import { TokenResponseDto } from './dto/token-response.dto';

/** How many times a login checks the password when the hash keeps changing under it (rehashes by concurrent logins). */
export const MAX_PASSWORD_CHECKS = 3;

/** SPEC §6: an address the account signed in from within this many days is spared the identifier-wide lock. */
const KNOWN_ADDRESS_DAYS = 30;

/** POST /api/auth/login (SPEC §2, §6). */
@Injectable()
export class LoginService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokenService,
    private readonly securityLog: SecurityLogService,
    private readonly lockout: LockoutService,
    private readonly metrics: Metrics,
  ) {}

  login(dto: LoginDto, client: RequestContext): Promise<TokenResponseDto> {
    return this.metrics.counted('login', this.attempt(dto, client));
  }

  /**
   * An unknown email and a wrong password do the same work (one lookup, one argon2 verification)
   * and answer the same error, so neither the body nor the time tells whether an account exists.
   * A locked attempt is refused before either (LockoutService.admit), whatever the password.
   */
  private async attempt(dto: LoginDto, client: RequestContext): Promise<TokenResponseDto> {
    const email = parseEmailForLookup(dto.email);
    const password = normalizePassword(dto.password);
    const identifier = email.ok ? email.value.value : dto.email.trim().toLowerCase().slice(0, 254);
    const counted = await this.lockout.admit(identifier, client, () => this.sessions.signedInRecentlyFrom(identifier, client.ip, KNOWN_ADDRESS_DAYS));
    let account = email.ok ? await this.users.findByAddress(email.value) : null;
    if (!account) {
      await this.hasher.verifyDummy(password);
      await this.lockout.recordFailure(counted, null, client);
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
        if (!check.valid) await this.lockout.recordFailure(counted, current.id, client);
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
