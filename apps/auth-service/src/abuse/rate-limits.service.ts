import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../common/app-error';
import { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metrics } from '../infra/metrics.service';
import { SecurityLogService } from '../security-log/security-log.service';
import { clientKey } from './counter-keys';
import { CounterStore } from './counter-store';

/** What is limited (SPEC §6): `refresh` covers both refresh endpoints, /api/auth/refresh and /oauth/token. */
export type RateLimitKind = 'login' | 'register' | 'refresh';

const WINDOW_SECONDS = 60;

/**
 * Requests a minute per client address (IPv6 by /64), one counter per kind. The increment and the
 * check are one atomic step in the store, so a burst, even spread over instances, gets exactly the
 * limit through. Refusals are logged aggregated (one `rate_limited` row per client, kind and minute).
 */
@Injectable()
export class RateLimits {
  private readonly counters: Partial<Record<RateLimitKind, RateLimiterAbstract>> = {};

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    store: CounterStore,
    private readonly securityLog: SecurityLogService,
    private readonly metrics: Metrics,
  ) {
    for (const kind of ['login', 'register', 'refresh'] as const) {
      const limit = config.rateLimit[kind];
      if (limit > 0) this.counters[kind] = store.counter(`rate-${kind}`, limit, WINDOW_SECONDS);
    }
  }

  /** Counts the request, or refuses it with 429 `rate_limited` and `Retry-After`. */
  async consume(kind: RateLimitKind, client: RequestContext): Promise<void> {
    const counter = this.counters[kind];
    if (!counter) return;
    try {
      await counter.consume(clientKey(client.ip));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      this.securityLog.enqueueAggregated({ type: 'rate_limited', details: { limit: kind } }, client);
      this.metrics.rateLimited(kind);
      const retryAfter = String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      throw new AppError('rate_limited', 'Too many requests; try again later', undefined, undefined, { 'Retry-After': retryAfter });
    }
  }
}
