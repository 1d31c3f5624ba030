import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SessionsRepository } from './sessions.repository';

const INTERVAL_MS = 10 * 60_000;
const BATCH_SIZE = 500;
const MAX_BATCHES = 200;
const LOCK_ID = 7_310_004;

/**
 * Purges expired refresh tokens and ended sessions, in small batches (each its own short
 * statement, so no long lock is held), on one instance at a time (a PostgreSQL advisory lock;
 * the embedded database has one process by construction).
 */
@Injectable()
export class SessionsHousekeeping implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SessionsHousekeeping.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsRepository,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.running = this.runOnce().catch((error: Error) => this.logger.warn(`Housekeeping failed: ${error.message}`));
    }, INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Returns what it purged, or null when another instance holds the lock. */
  async runOnce(now = new Date()): Promise<{ tokens: number; sessions: number } | null> {
    if (this.config.db.driver === 'pglite') return this.purge(now);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_ID]);
      if (!locked) return null;
      try {
        return await this.purge(now);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]);
      }
    } finally {
      await runner.release();
    }
  }

  private async purge(now: Date): Promise<{ tokens: number; sessions: number }> {
    const total = { tokens: 0, sessions: 0 };
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const purged = await this.sessions.purgeBatch(now, BATCH_SIZE);
      total.tokens += purged.tokens;
      total.sessions += purged.sessions;
      if (purged.tokens < BATCH_SIZE && purged.sessions < BATCH_SIZE) break;
    }
    if (total.tokens || total.sessions) this.logger.log(`Purged ${total.tokens} refresh token(s) and ${total.sessions} session(s)`);
    return total;
  }
}
