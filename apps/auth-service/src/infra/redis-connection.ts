import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** Every key the service writes to Redis starts with this, so a shared Redis can hold other data. */
export const REDIS_KEY_PREFIX = 'tessera:';

/**
 * The service's one Redis connection (REDIS_URL), shared by every feature that keeps state across
 * instances (revoked sessions, rate limits, lockouts). It fails fast while Redis is down, so that
 * each feature falls back to its own state at once instead of queueing, and it logs each change
 * between reachable and unreachable once, not every reconnection attempt.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  /** undefined without REDIS_URL. */
  readonly client?: Redis;
  private state: 'unknown' | 'up' | 'down' = 'unknown';

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.redis.url) return;
    // Loaded only with REDIS_URL: a start without it does not evaluate ioredis, 2–3 % of a cold
    // start on PostgreSQL (bench/HISTORY.md).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
    this.client = new RedisClient(config.redis.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
      connectTimeout: 2000,
      // Shutdown while Redis is down must not wait out ioredis's default 2 s.
      disconnectTimeout: 200,
    });
    this.client.on('ready', () => this.note('up'));
    this.client.on('error', (error: Error) => this.note('down', error.message));
    this.client.on('close', () => this.note('down', 'connection closed'));
  }

  async onModuleInit(): Promise<void> {
    await this.client?.connect().catch((error: Error) => this.note('down', error.message));
  }

  onApplicationShutdown(): void {
    this.client?.disconnect();
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /** undefined without REDIS_URL; otherwise whether the connection is up now (no round trip: for metrics). */
  get up(): boolean | undefined {
    return this.client ? this.client.status === 'ready' : undefined;
  }

  /** undefined without REDIS_URL; otherwise whether Redis answers a PING now. */
  async reachable(): Promise<boolean | undefined> {
    if (!this.client) return undefined;
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  private note(state: 'up' | 'down', why?: string): void {
    if (state === this.state) return;
    const before = this.state;
    this.state = state;
    if (state === 'down') this.logger.warn(`Redis unreachable (${why}): each instance uses its own state until it is back`);
    else if (before === 'down') this.logger.log('Redis reachable again');
  }
}
