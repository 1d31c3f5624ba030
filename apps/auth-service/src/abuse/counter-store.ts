import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { REDIS_KEY_PREFIX, RedisConnection } from '../infra/redis-connection';

/**
 * The one store behind rate limits and lockouts (SPEC §6). With REDIS_URL a counter lives in Redis,
 * shared by every instance and updated atomically (rate-limiter-flexible increments and reads it in
 * one Lua script), so no burst slips through a read-then-write race. Without Redis it lives in
 * process. When Redis does not answer, each call falls back at once (the connection does not queue
 * while down) to the in-process twin of that counter (the library's insurance limiter): the service
 * neither refuses every login nor lets everything through. RedisConnection logs a lost connection
 * once; this store also says when its counters fall back (at most once every few minutes), which
 * covers a Redis that keeps the connection but stops answering in time.
 */
@Injectable()
export class CounterStore {
  private readonly logger = new Logger('Abuse');
  private lastFallbackLog = 0;

  constructor(private readonly redis: RedisConnection) {}

  /** `points` per window of `durationSeconds`, under `name` (its own key prefix). */
  counter(name: string, points: number, durationSeconds: number): RateLimiterAbstract {
    const options = { keyPrefix: `${REDIS_KEY_PREFIX}abuse:${name}`, points, duration: durationSeconds };
    const memory = new RateLimiterMemory(options);
    if (!this.redis.client) return memory;
    return new RateLimiterRedis({ ...options, storeClient: this.redis.client, rejectIfRedisNotReady: true, insuranceLimiter: this.noticed(memory) });
  }

  /** The in-process twin, as the insurance: every call to it means Redis did not serve that one. */
  private noticed(memory: RateLimiterMemory): RateLimiterMemory {
    return new Proxy(memory, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || !FALLBACK_CALLS.has(property)) return value;
        return (...args: unknown[]) => {
          this.noteFallback();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  private noteFallback(): void {
    const now = Date.now();
    if (now - this.lastFallbackLog < FALLBACK_LOG_EVERY_MS) return;
    this.lastFallbackLog = now;
    this.logger.warn('Redis did not serve a rate-limit or lockout counter: this instance counts on its own until it does');
  }
}

/** The calls rate-limiter-flexible forwards to the insurance limiter. */
const FALLBACK_CALLS = new Set<string | symbol>(['consume', 'penalty', 'reward', 'get', 'set', 'block', 'delete']);
const FALLBACK_LOG_EVERY_MS = 5 * 60_000;

/** The count after consuming one point: rate-limiter-flexible rejects with the result once past the limit. */
export function consumedPoints(counter: RateLimiterAbstract, key: string): Promise<number> {
  return counter.consume(key).then(
    (res) => res.consumedPoints,
    (rejection: unknown) => {
      if (rejection instanceof RateLimiterRes) return rejection.consumedPoints;
      throw rejection;
    },
  );
}
