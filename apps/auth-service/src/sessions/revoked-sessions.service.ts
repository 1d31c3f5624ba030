import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { REVOCATION_CHANNEL, SessionsRepository } from './sessions.repository';

const KEY_PREFIX = 'tessera:revoked-session:';
/** An access token can be issued a moment after its session's revocation (a refresh in flight). */
const ISSUE_MARGIN_S = 5;
/** A lost listener reconnects at once and then backs off, so that a revocation is missed for well under a second. */
const RELISTEN_FIRST_DELAY_MS = 100;
const RELISTEN_MAX_DELAY_MS = 5000;

/**
 * Which sessions were revoked recently enough that an access token of theirs may still be accepted
 * (ACCESS_TOKEN_TTL + CLOCK_TOLERANCE): the guard asks it on every request, so that such a token
 * is refused at once, not at its `exp` (SPEC §3). No database query per request:
 * - this process's own revocations are known at once, from memory;
 * - with REDIS_URL every instance's are shared through Redis (one EXISTS per request); when Redis
 *   does not answer, the check falls back to the database;
 * - on PostgreSQL every revocation also sends a NOTIFY in its own transaction (so on commit, and
 *   only then), which every instance LISTENs to: an instance that revoked while it could not reach
 *   Redis still tells the others, and instances without Redis learn each other's revocations.
 *   After a lost LISTEN connection, the instance reloads what it may have missed.
 */
@Injectable()
export class RevokedSessions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevokedSessions.name);
  private readonly local = new Map<string, number>();
  private readonly redis?: Redis;
  private readonly ttlMs: number;
  private readonly databaseUrl?: string;
  private sweep?: NodeJS.Timeout;
  private listener?: Client;
  private relisten?: NodeJS.Timeout;
  private closing = false;
  private relistenDelay = RELISTEN_FIRST_DELAY_MS;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sessions: SessionsRepository,
  ) {
    // A token is accepted until exp + CLOCK_TOLERANCE: its session's revocation must be known as long.
    this.ttlMs = (config.tokens.accessTtl + config.tokens.clockTolerance + ISSUE_MARGIN_S) * 1000;
    if (config.db.driver === 'postgres') this.databaseUrl = config.db.url;
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
    // Listen first, then reload what was revoked while this process was not running: nothing falls between.
    if (this.databaseUrl) await this.listen();
    await this.reload();
    if (this.redis) await this.redis.connect().catch((error: Error) => this.logger.warn(`Redis unreachable at start: ${error.message}`));
    this.sweep = setInterval(() => this.forgetExpired(), 60_000);
    this.sweep.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweep);
    clearTimeout(this.relisten);
    if (this.redis) this.redis.disconnect();
    await this.listener?.end().catch(() => undefined);
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

  private async reload(): Promise<void> {
    const since = new Date(Date.now() - this.ttlMs);
    for (const { id, revokedAt } of await this.sessions.findRevokedSince(since)) this.remember(id, revokedAt.getTime());
  }

  /** A connection of its own that LISTENs for revocations committed by any instance; reconnects when lost. */
  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'tessera-revocations', keepAlive: true });
    let lost = false;
    const onLost = (why: string) => {
      if (lost || this.closing) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      this.logger.warn(`Revocation listener lost (${why}); reconnecting`);
      void client.end().catch(() => undefined);
      this.relisten = setTimeout(() => void this.listenAgain(), this.relistenDelay);
      this.relistenDelay = Math.min(this.relistenDelay * 2, RELISTEN_MAX_DELAY_MS);
      this.relisten.unref();
    };
    client.on('notification', (message) => {
      if (message.channel === REVOCATION_CHANNEL && message.payload) this.remember(message.payload, Date.now());
    });
    client.on('error', (error: Error) => onLost(error.message));
    client.on('end', () => onLost('connection closed'));
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      this.listener = client;
      this.relistenDelay = RELISTEN_FIRST_DELAY_MS;
    } catch (error) {
      onLost((error as Error).message);
    }
  }

  private async listenAgain(): Promise<void> {
    if (this.closing) return;
    await this.listen();
    // What was revoked while the listener was away.
    if (this.listener) await this.reload().catch((error: Error) => this.logger.warn(`Reloading revocations failed: ${error.message}`));
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
