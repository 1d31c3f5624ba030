import { Injectable } from '@nestjs/common';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { REDIS_KEY_PREFIX, RedisConnection } from '../infra/redis-connection';

/**
 * The one store behind rate limits and lockouts (SPEC §6). With REDIS_URL a counter lives in Redis,
 * shared by every instance and updated atomically (rate-limiter-flexible increments and reads it in
 * one Lua script), so no burst slips through a read-then-write race. Without Redis it lives in
 * process. When Redis does not answer, each call falls back at once (the connection does not queue
 * while down) to the in-process twin of that counter (the library's insurance limiter): the service
 * neither refuses every login nor lets everything through; RedisConnection logs the outage once.
 */
@Injectable()
export class CounterStore {
  constructor(private readonly redis: RedisConnection) {}

  /** `points` per window of `durationSeconds`, under `name` (its own key prefix). */
  counter(name: string, points: number, durationSeconds: number): RateLimiterAbstract {
    const options = { keyPrefix: `${REDIS_KEY_PREFIX}abuse:${name}`, points, duration: durationSeconds };
    const memory = new RateLimiterMemory(options);
    if (!this.redis.client) return memory;
    return new RateLimiterRedis({ ...options, storeClient: this.redis.client, rejectIfRedisNotReady: true, insuranceLimiter: memory });
  }
}

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
