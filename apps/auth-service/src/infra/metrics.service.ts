import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { AppError } from '../common/app-error';
import { mapError } from '../common/error-mapping';

/** `success`, a SPEC §2 error code, or a refresh failure's reason: a small, fixed set of labels. */
export type Outcome = string;
/** The scopes of SPEC §6's locks, as `account_locked` events name them. */
export type LockScope = 'address' | 'identifier';
export type RateLimitedRoute = 'login' | 'refresh' | 'register';

/**
 * The service's Prometheus metrics, on a registry of its own (not prom-client's global default),
 * so that several apps in one process (tests) do not share or clash. Features call the typed
 * helpers below; the scrape-time gauges live in MetricsGauges.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly requestDuration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly logins = this.counter('tessera_logins_total', 'Login attempts by outcome (success or error code)', ['outcome']);
  private readonly refreshes = this.counter('tessera_refreshes_total', 'Refresh attempts by outcome (success, or the invalid_grant reason, or error code)', ['outcome']);
  private readonly reuses = this.counter('tessera_refresh_reuse_detected_total', 'Refresh tokens presented again: their session was revoked', []);
  private readonly lockouts = this.counter('tessera_lockouts_total', 'Logins locked out, by scope (identifier+IP pair, or identifier)', ['scope']);
  private readonly rateLimits = this.counter('tessera_rate_limited_total', 'Requests refused by a rate limit, by route', ['route']);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tessera_' });
  }

  /** `route` is the route pattern (`/api/sessions/:id`), never the raw URL: bounded label cardinality. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status_code: statusCode }, seconds);
  }

  login(outcome: Outcome): void {
    this.logins.inc({ outcome });
  }

  refresh(outcome: Outcome): void {
    this.refreshes.inc({ outcome });
  }

  reuseDetected(): void {
    this.reuses.inc();
  }

  lockout(scope: LockScope): void {
    this.lockouts.inc({ scope });
  }

  rateLimited(route: RateLimitedRoute): void {
    this.rateLimits.inc({ route });
  }

  /**
   * Counts a login or refresh by how it ended (`success`, the `invalid_grant` reason such as
   * `reused`, or the error code) and passes its result or error on.
   */
  async counted<T>(kind: 'login' | 'refresh', work: Promise<T>): Promise<T> {
    const counter = kind === 'login' ? this.logins : this.refreshes;
    try {
      const result = await work;
      counter.inc({ outcome: 'success' });
      return result;
    } catch (error) {
      counter.inc({ outcome: outcomeOf(error) });
      throw error;
    }
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}

function outcomeOf(error: unknown): Outcome {
  const reason = error instanceof AppError ? error.extra?.reason : undefined;
  return typeof reason === 'string' ? reason : mapError(error).body.error;
}
