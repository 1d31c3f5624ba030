import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ClientContext, SessionsService } from '../sessions/sessions.service';
import { normalizeEmail } from '../users/email';
import { normalizePassword } from '../users/password-policy';
import { PasswordHasher } from '../users/password-hasher.service';
import { PublicUser } from '../users/user.entity';
import { Account, UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { TokenResponseDto } from './dto/token-response.dto';

@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokenService,
  ) {}

  register(dto: RegisterDto): Promise<PublicUser> {
    return this.users.register({ email: dto.email, password: dto.password, name: dto.name ?? null });
  }

  /**
   * An unknown email and a wrong password do the same work (one lookup, one argon2 verification)
   * and answer the same error, so neither the body nor the time tells whether an account exists.
   */
  async login(dto: LoginDto, client: ClientContext): Promise<TokenResponseDto> {
    const email = normalizeEmail(dto.email);
    const password = normalizePassword(dto.password);
    const account = email.ok ? await this.users.findByEmail(email.value) : null;
    if (!account) {
      await this.hasher.verifyDummy(password);
      throw invalidCredentials();
    }
    const check = await this.hasher.verify(account.passwordHash, password);
    if (!check.valid || account.disabled) throw invalidCredentials();
    if (check.needsRehash) await this.users.updatePasswordHash(account.id, await this.hasher.hash(password));
    const session = await this.sessions.start(account.id, client);
    return {
      access_token: await this.accessTokens.sign(account, session.sessionId),
      token_type: 'Bearer',
      expires_in: this.config.tokens.accessTtl,
      refresh_token: session.refreshToken,
      refresh_expires_in: session.refreshExpiresIn,
      user: publicPart(account),
    };
  }

  async me(userId: string): Promise<PublicUser> {
    const account = await this.users.findById(userId);
    if (!account || account.disabled) throw AppError.unauthorized('Account no longer active', true);
    return publicPart(account);
  }
}

function invalidCredentials(): AppError {
  return new AppError('invalid_credentials', 'Invalid email or password');
}

function publicPart(account: Account): PublicUser {
  return { id: account.id, email: account.email, name: account.name, roles: account.roles, created_at: account.created_at };
}
