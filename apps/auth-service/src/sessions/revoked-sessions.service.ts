import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SessionsRepository } from './sessions.repository';

const KEY_PREFIX = 'tessera:revoked-session:';

/**
 * Which sessions were revoked within the last ACCESS_TOKEN_TTL: the guard asks it on every request,
 * so that an access token of a revoked session is refused at once, not at its `exp` (SPEC §3).
 * Entries live as long as an access token can. This process's own revocations are known at once
 * from memory; with REDIS_URL every instance's are shared through Redis (one EXISTS per request,
 * no database query); when Redis does not answer, the check falls back to the database.
 */
@Injectable()
export class RevokedSessions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevokedSessions.name);
  private readonly local = new Map<string, number>();
  private readonly redis?: Redis;
  private readonly ttlMs: number;
  private sweep?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sessions: SessionsRepository,
  ) {
    this.ttlMs = config.tokens.accessTtl * 1000;
    if (config.redis.url) {
      this.redis = new Redis(config.redis.url, {
        lazyConnect: true,
        // Fail fast while Redis is down, so that the database fallback answers instead of a queue.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: 500,
        connectTimeout: 2000,
        // Shutdown while Redis is down must not wait out ioredis's default 2 s.
        disconnectTimeout: 200,
      });
      this.redis.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    }
  }

  async onModuleInit(): Promise<void> {
    // Reload what was revoked while this process was not running (or on another instance without Redis).
    const since = new Date(Date.now() - this.ttlMs);
    for (const { id, revokedAt } of await this.sessions.findRevokedSince(since)) this.remember(id, revokedAt.getTime());
    if (this.redis) await this.redis.connect().catch((error: Error) => this.logger.warn(`Redis unreachable at start: ${error.message}`));
    this.sweep = setInterval(() => this.forgetExpired(), 60_000);
    this.sweep.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    if (this.redis) this.redis.disconnect();
  }

  /** undefined without REDIS_URL; otherwise whether Redis answers a PING. */
  async redisReachable(): Promise<boolean | undefined> {
    if (!this.redis) return undefined;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Called after the revocation is committed. */
  async add(sessionIds: readonly string[], revokedAt = new Date()): Promise<void> {
    if (sessionIds.length === 0) return;
    for (const id of sessionIds) this.remember(id, revokedAt.getTime());
    if (!this.redis) return;
    try {
      const pipeline = this.redis.pipeline();
      for (const id of sessionIds) pipeline.set(KEY_PREFIX + id, '1', 'PX', this.ttlMs);
      await pipeline.exec();
    } catch (error) {
      // Other instances then learn it from their database fallback only if Redis is down for them too.
      this.logger.warn(`Could not share ${sessionIds.length} revocation(s) through Redis: ${(error as Error).message}`);
    }
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    const expiry = this.local.get(sessionId);
    if (expiry !== undefined && expiry > Date.now()) return true;
    if (!this.redis) return false;
    try {
      return (await this.redis.exists(KEY_PREFIX + sessionId)) === 1;
    } catch {
      return this.sessions.isRevoked(sessionId);
    }
  }

  private remember(id: string, revokedAtMs: number): void {
    const expiry = revokedAtMs + this.ttlMs;
    if (expiry > Date.now()) this.local.set(id, expiry);
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, expiry] of this.local) if (expiry <= now) this.local.delete(id);
  }
}
