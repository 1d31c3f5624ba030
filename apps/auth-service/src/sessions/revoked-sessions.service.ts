import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { REDIS_KEY_PREFIX, RedisConnection } from '../infra/redis-connection';
import { ScheduledJobs } from '../infra/scheduled-jobs';
import { REVOCATION_CHANNEL, SessionsRepository } from './sessions.repository';

const KEY_PREFIX = `${REDIS_KEY_PREFIX}revoked-session:`;
/** An access token can be issued a moment after its session's revocation (a refresh in flight). */
const ISSUE_MARGIN_S = 5;
/** A lost listener reconnects at once and then backs off, so that a revocation is missed for well under a second. */
const LISTENER_CHECK_MS = 100;
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
  private readonly ttlMs: number;
  private readonly databaseUrl?: string;
  private listener?: Client;
  private closing = false;
  private relistenDelay = LISTENER_CHECK_MS;
  private relistenAt = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sessions: SessionsRepository,
    private readonly redis: RedisConnection,
    jobs: ScheduledJobs,
  ) {
    // A token is accepted until exp + CLOCK_TOLERANCE: its session's revocation must be known as long.
    this.ttlMs = (config.tokens.accessTtl + config.tokens.clockTolerance + ISSUE_MARGIN_S) * 1000;
    if (config.db.driver === 'postgres') this.databaseUrl = config.db.url;
    jobs.schedule({ name: 'revoked-sessions.forget-expired', everyMs: 60_000, run: async () => this.forgetExpired() });
    if (this.databaseUrl) jobs.schedule({ name: 'revoked-sessions.listener', everyMs: LISTENER_CHECK_MS, run: () => this.keepListening() });
  }

  async onModuleInit(): Promise<void> {
    // Listen first, then reload what was revoked while this process was not running: nothing falls between.
    if (this.databaseUrl) await this.listen();
    await this.reload();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.listener?.end().catch(() => undefined);
  }

  /** Called after the revocation is committed. */
  async add(sessionIds: readonly string[], revokedAt = new Date()): Promise<void> {
    if (sessionIds.length === 0) return;
    for (const id of sessionIds) this.remember(id, revokedAt.getTime());
    const redis = this.redis.client;
    if (!redis) return;
    try {
      const pipeline = redis.pipeline();
      for (const id of sessionIds) pipeline.set(KEY_PREFIX + id, '1', 'PX', this.ttlMs);
      await pipeline.exec();
    } catch (error) {
      // Other instances then learn it through NOTIFY (PostgreSQL), or from the database while Redis is down for them too.
      this.logger.warn(`Could not share ${sessionIds.length} revocation(s) through Redis: ${(error as Error).message}`);
    }
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    const expiry = this.local.get(sessionId);
    if (expiry !== undefined && expiry > Date.now()) return true;
    const redis = this.redis.client;
    if (!redis) return false;
    try {
      return (await redis.exists(KEY_PREFIX + sessionId)) === 1;
    } catch {
      return this.sessions.isRevoked(sessionId);
    }
  }

  private async reload(): Promise<void> {
    const since = new Date(Date.now() - this.ttlMs);
    for (const { id, revokedAt } of await this.sessions.findRevokedSince(since)) this.remember(id, revokedAt.getTime());
  }

  /** A connection of its own that LISTENs for revocations committed by any instance. */
  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'tessera-revocations', keepAlive: true });
    let lost = false;
    const onLost = (why: string) => {
      if (lost || this.closing) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      this.logger.warn(`Revocation listener lost (${why}); reconnecting`);
      void client.end().catch(() => undefined);
      this.relistenAt = Date.now() + this.relistenDelay;
      this.relistenDelay = Math.min(this.relistenDelay * 2, RELISTEN_MAX_DELAY_MS);
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
      this.relistenDelay = LISTENER_CHECK_MS;
    } catch (error) {
      onLost((error as Error).message);
    }
  }

  /** The listener's health check (a scheduled job): a lost listener comes back, with what it missed. */
  private async keepListening(): Promise<void> {
    if (this.closing || this.listener || Date.now() < this.relistenAt) return;
    await this.listen();
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
