import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../common/app-error';
import { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metrics } from '../infra/metrics.service';
import { SecurityLogService } from '../security-log/security-log.service';
import { clientKey, identifierKey } from './counter-keys';
import { consumedPoints, CounterStore } from './counter-store';
import { lockSeconds, MAX_LOCK_SECONDS } from './lock-duration';

const WINDOW_SECONDS = 15 * 60;
/** How long the doubling remembers earlier locks: a day after the first lock of a series. */
const SERIES_SECONDS = 24 * 3600;
/** Longer than any key an unlock must void (SERIES_SECONDS): see `keysOf`. */
const GENERATION_SECONDS = SERIES_SECONDS + 3600;

export type LockScope = 'address' | 'identifier';

/** The counter keys of one login attempt (identifier + client address, identifier alone). */
export interface LoginAttempt {
  identifier: string;
  keys: Record<LockScope, string>;
}

/** What an admin sees (GET /api/admin/users/:id). */
export interface LockState {
  /** The identifier-wide lock: it refuses every address except those the account signed in from recently. */
  locked: boolean;
  locked_until: string | null;
  /** Failed logins counted toward the identifier-wide lock in the current window. */
  recent_failures: number;
  /** Addresses (as counted: IPv6 by /64) locked out for this identifier, with the end of each lock. */
  locked_addresses: { address: string; locked_until: string }[];
}

/**
 * Lockout (SPEC §6). Failed logins are counted per identifier + client address and per identifier
 * across addresses, in a 15-minute window. The failure that reaches a threshold locks that key: the
 * counter itself is blocked (set past its limit for the lock's duration), so the lock and the count
 * are one atomic key, exactly one of any number of concurrent failures (an atomic increment hands
 * out each count once) places it, and the count starts afresh when the lock ends. A second counter
 * per key numbers the locks of a series for the doubling. Attempts refused while locked count
 * nothing. Unknown identifiers are counted exactly like known ones.
 * Like the library's own `blockDuration`, the lock is placed by the failure that reaches the
 * threshold exactly. Should Redis's reply to that increment be lost (a command timeout: the call then
 * falls back to the in-process counter), the key stays over its threshold, and so locked, until its
 * window ends, without an `account_locked` event: a longer lock, never a missed or a second one.
 */
@Injectable()
export class LockoutService {
  /** How far back `state` needs the log's lock events: the longest lock. */
  static readonly LONGEST_LOCK_SECONDS = MAX_LOCK_SECONDS;

  private readonly failures: Partial<Record<LockScope, RateLimiterAbstract>> = {};
  private readonly series: RateLimiterAbstract;
  private readonly generations: RateLimiterAbstract;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    store: CounterStore,
    private readonly securityLog: SecurityLogService,
    private readonly metrics: Metrics,
  ) {
    const { threshold, identifierThreshold } = config.lockout;
    if (threshold > 0) this.failures.address = store.counter('lockout-address', threshold, WINDOW_SECONDS);
    if (identifierThreshold > 0) this.failures.identifier = store.counter('lockout-identifier', identifierThreshold, WINDOW_SECONDS);
    this.series = store.counter('lockout-series', Number.MAX_SAFE_INTEGER, SERIES_SECONDS);
    this.generations = store.counter('lockout-generation', Number.MAX_SAFE_INTEGER, GENERATION_SECONDS);
  }

  private get enabled(): boolean {
    return this.failures.address !== undefined || this.failures.identifier !== undefined;
  }

  /**
   * Before the password is checked: refuses a locked attempt with 429 `account_locked` (the same
   * body for every identifier, known or not) after reading counters only, so that a locked flood
   * costs no argon2 and no database write. The identifier-wide lock spares a known address; that
   * check (`isKnownAddress`, a database read) runs only while such a lock is in force.
   */
  async admit(identifier: string, client: RequestContext, isKnownAddress: () => Promise<boolean>): Promise<LoginAttempt | null> {
    if (!this.enabled) return null;
    const attempt: LoginAttempt = { identifier, keys: await this.keysOf(identifier, clientKey(client.ip)) };
    const [address, whole] = await Promise.all([this.lockedFor('address', attempt), this.lockedFor('identifier', attempt)]);
    let retryMs = address;
    if (whole > 0 && !(await isKnownAddress())) retryMs = Math.max(retryMs, whole);
    if (retryMs <= 0) return attempt;
    this.securityLog.enqueueAggregated({ type: 'login_failure', identifier, details: { reason: 'locked' } }, client);
    const retryAfter = String(Math.max(1, Math.ceil(retryMs / 1000)));
    throw new AppError('account_locked', 'Too many failed logins; try again later', undefined, undefined, { 'Retry-After': retryAfter });
  }

  /** After a wrong password (or unknown identifier): counts it, and locks a key whose count reaches its threshold. */
  async recordFailure(attempt: LoginAttempt | null, userId: string | null, client: RequestContext): Promise<void> {
    if (!attempt) return;
    await Promise.all((['address', 'identifier'] as const).map((scope) => this.count(scope, attempt, userId, client)));
  }

  /** Every lock and count of the identifier, for every address, ends at once: see `keysOf`. */
  async unlock(identifier: string): Promise<void> {
    await this.generations.set(identifierKey(identifier), Date.now(), GENERATION_SECONDS);
  }

  /** `addresses`: the addresses recently locked for this identifier (from the log), checked here against the counters. */
  async state(identifier: string, addresses: string[]): Promise<LockState> {
    const generation = await this.generation(identifier);
    const whole = this.failures.identifier ? await this.failures.identifier.get(`${identifierKey(identifier)}.${generation}`) : null;
    const lockedMs = whole && this.failures.identifier && whole.consumedPoints > this.failures.identifier.points ? whole.msBeforeNext : 0;
    const until = (ms: number) => new Date(Date.now() + ms).toISOString();
    const lockedAddresses: LockState['locked_addresses'] = [];
    for (const address of new Set(addresses.map((ip) => clientKey(ip)))) {
      const ms = await this.lockedFor('address', { identifier, keys: this.keysFor(identifier, generation, address) });
      if (ms > 0) lockedAddresses.push({ address, locked_until: until(ms) });
    }
    return {
      locked: lockedMs > 0,
      locked_until: lockedMs > 0 ? until(lockedMs) : null,
      recent_failures: whole ? Math.min(whole.consumedPoints, this.failures.identifier?.points ?? 0) : 0,
      locked_addresses: lockedAddresses,
    };
  }

  private async count(scope: LockScope, attempt: LoginAttempt, userId: string | null, client: RequestContext): Promise<void> {
    const failures = this.failures[scope];
    if (!failures) return;
    const key = attempt.keys[scope];
    if ((await consumedPoints(failures, key)) !== failures.points) return;
    const lockNumber = await consumedPoints(this.series, `${scope}.${key}`);
    const seconds = lockSeconds(lockNumber);
    await failures.block(key, seconds);
    this.securityLog.enqueue({ type: 'account_locked', userId, identifier: attempt.identifier, details: { scope, seconds, lock_number: lockNumber } }, client);
    this.metrics.lockout(scope);
  }

  /** Milliseconds left of the lock of that scope, 0 when not locked. */
  private async lockedFor(scope: LockScope, attempt: LoginAttempt): Promise<number> {
    const failures = this.failures[scope];
    if (!failures) return 0;
    const res = await failures.get(attempt.keys[scope]);
    return res && res.consumedPoints > failures.points ? res.msBeforeNext : 0;
  }

  /**
   * Keys carry the identifier's generation, which an unlock moves on: every key of the previous
   * generation (each address's lock and count, the series) is void at once, without having to find
   * them. The generation outlives every key it voids, so that it never falls back onto live keys.
   */
  private async keysOf(identifier: string, address: string): Promise<Record<LockScope, string>> {
    return this.keysFor(identifier, await this.generation(identifier), address);
  }

  private keysFor(identifier: string, generation: number, address: string): Record<LockScope, string> {
    const id = `${identifierKey(identifier)}.${generation}`;
    return { identifier: id, address: `${id}.${address}` };
  }

  private async generation(identifier: string): Promise<number> {
    return (await this.generations.get(identifierKey(identifier)))?.consumedPoints ?? 0;
  }
}
