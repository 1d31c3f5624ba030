import { LockIds } from '../database/lock-ids';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { sqlState } from '../database/database-errors';
import { SecurityLogService } from '../security-log/security-log.service';
import { AppError } from '../common/app-error';
import { NO_REQUEST, RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Checked, EmailAddress, LookupForms, parseEmail } from './email';
import { checkPasswordPolicy } from './password-policy';
import { PasswordHasher } from './password-hasher.service';
import { PublicUser, toPublicUser, User } from './user.entity';
import { UsersRepository } from './users.repository';

export interface NewUser {
  email: string; // already normalised
  password: string; // as given; the policy normalises it
  name?: string | null;
}

/** A user as other modules see it: plain data, never the entity. */
export interface Account extends PublicUser {
  passwordHash: string;
  disabled: boolean;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly dataSource: DataSource,
    private readonly securityLog: SecurityLogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The password policy (SPEC §2) with PASSWORD_MIN_LENGTH: for every password being set; the value is its NFKC form. */
  checkNewPassword(password: string, email: string): Checked<string> {
    return checkPasswordPolicy(password, email, this.config.passwords.minLength);
  }

  /**
   * An address taken in any of its forms (punycode or Unicode domain), or a look-alike of one (SPEC
   * §2), answers 409 email_taken; the database's unique indexes decide, so racing twins cannot both pass.
   */
  async register(input: NewUser, context: RequestContext): Promise<PublicUser> {
    const address = parseEmail(input.email);
    if (!address.ok) throw new AppError('validation_failed', 'Request validation failed', [{ field: 'email', message: `email ${address.message}` }]);
    const policy = this.checkNewPassword(input.password, address.value.value);
    if (!policy.ok) {
      throw new AppError('validation_failed', 'Request validation failed', [{ field: 'password', message: `password ${policy.message}` }]);
    }
    const user = this.newUser(address.value, await this.hasher.hash(policy.value), input.name ?? null, ['user']);
    try {
      await this.dataSource.transaction(async (manager) => {
        if (!(await this.users.insertClaimingSkeleton(user, address.value, manager))) throw emailTaken();
        await this.securityLog.record({ type: 'user_registered', userId: user.id, identifier: user.email }, context, manager);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken();
      throw error;
    }
    return toPublicUser(user);
  }

  /** The account of this address, whichever form of its domain was typed. */
  async findByAddress(address: LookupForms): Promise<Account | null> {
    const user = await this.users.findByAddress(address);
    return user && toAccount(user);
  }

  async findById(id: string): Promise<Account | null> {
    const user = await this.users.findById(id);
    return user && toAccount(user);
  }

  /** The account of a signed-in user, as long as it exists and is enabled (401 otherwise). */
  async activeAccount(id: string): Promise<Account> {
    const account = await this.findById(id);
    if (!account || account.disabled) throw AppError.unauthorized('Account no longer active', true);
    return account;
  }

  /** The profile of a signed-in user, as long as the account exists and is enabled (401 otherwise, as activeAccount). */
  async profile(id: string): Promise<PublicUser> {
    const user = await this.users.findEnabledProfile(id);
    if (!user) throw AppError.unauthorized('Account no longer active', true);
    return user;
  }

  async updatePasswordHash(id: string, passwordHash: string, manager?: EntityManager): Promise<void> {
    await this.users.updatePasswordHash(id, passwordHash, manager);
  }

  /** See UsersRepository.lockIfUnchanged: the login's guard against a concurrent password change or disable. */
  lockIfUnchanged(id: string, passwordHash: string, manager: EntityManager): Promise<boolean> {
    return this.users.lockIfUnchanged(id, passwordHash, manager);
  }

  lockAdminsAndFindOther(exceptId: string, manager: EntityManager): Promise<boolean> {
    return this.users.lockAdminsAndFindOther(exceptId, manager);
  }

  replacePasswordHash(id: string, verifiedHash: string, passwordHash: string): Promise<boolean> {
    return this.users.replacePasswordHash(id, verifiedHash, passwordHash);
  }

  async page(emailPrefix: string | undefined, cursor: { createdAt: Date; id: string } | undefined, limit: number): Promise<Account[]> {
    return (await this.users.page(emailPrefix?.trim().toLowerCase().normalize('NFC'), cursor, limit)).map(toAccount);
  }

  setDisabled(id: string, disabled: boolean, manager?: EntityManager): Promise<boolean> {
    return this.users.setDisabled(id, disabled ? new Date() : null, manager);
  }

  setRoles(id: string, roles: string[], manager?: EntityManager): Promise<void> {
    return this.users.setRoles(id, roles, manager);
  }

  /**
   * Creates the bootstrap admin when no admin exists. Instances starting together serialise on a
   * transaction-scoped advisory lock, so exactly one creates it. Returns what happened.
   */
  async ensureBootstrapAdmin(email: string, password: string): Promise<'created' | 'exists'> {
    const address = parseEmail(email);
    if (!address.ok) throw new Error(`BOOTSTRAP_ADMIN_EMAIL ${address.message}`);
    const policy = this.checkNewPassword(password, email);
    if (!policy.ok) throw new Error(`BOOTSTRAP_ADMIN_PASSWORD ${policy.message}`);
    // Every start after the first finds an admin: no argon2 hash for nothing (checked again under the lock).
    if (await this.users.anyAdminExists()) return 'exists';
    const passwordHash = await this.hasher.hash(policy.value); // outside the transaction: argon2 is slow
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [LockIds.bootstrapAdmin]);
      if (await this.users.anyAdminExists(manager)) return 'exists';
      const existing = await this.users.findByAddress(address.value, manager);
      if (existing) {
        throw new Error(
          `BOOTSTRAP_ADMIN_EMAIL ${email} belongs to an existing account that is not an admin; ` +
            'choose another email (an existing account is never promoted silently)',
        );
      }
      const admin = this.newUser(address.value, passwordHash, null, ['user', 'admin']);
      if (!(await this.users.insertClaimingSkeleton(admin, address.value, manager))) {
        throw new Error(`BOOTSTRAP_ADMIN_EMAIL ${email} looks like an existing account's address (UTS #39 confusables); choose another email`);
      }
      await this.securityLog.record({ type: 'user_registered', userId: admin.id, identifier: email, details: { via: 'bootstrap_admin' } }, NO_REQUEST, manager);
      return 'created';
    });
  }

  private newUser(address: EmailAddress, passwordHash: string, name: string | null, roles: string[]): User {
    const now = new Date();
    const { value: email, canonical: emailCanonical } = address;
    return Object.assign(new User(), { id: randomUUID(), email, emailCanonical, name, passwordHash, roles, disabledAt: null, createdAt: now, updatedAt: now });
  }
}

/** Only the public members (an Account carries its hash too): what any response may hold about a user. */
export function publicView(account: PublicUser): PublicUser {
  return { id: account.id, email: account.email, name: account.name, roles: account.roles, created_at: account.created_at };
}

function toAccount(user: User): Account {
  return { ...toPublicUser(user), passwordHash: user.passwordHash, disabled: user.disabledAt !== null };
}

function emailTaken(): AppError {
  return new AppError('email_taken', 'An account with this email already exists');
}

function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}
