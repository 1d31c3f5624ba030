import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SecurityLogRepository } from './security-log.repository';

const INTERVAL_MS = 60 * 60_000;
const BATCH = 5000;
const LOCK_ID = 7_310_006;

/**
 * Purges events older than SECURITY_LOG_RETENTION_DAYS, sealed ones only, oldest first, after
 * moving the checkpoint (last purged seq and link) from which `verify` starts; one instance at a time.
 */
@Injectable()
export class SecurityLogRetention implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SecurityLogRetention');
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logs: SecurityLogRepository,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.running = this.runOnce().catch((error: Error) => this.logger.warn(`Retention failed: ${error.message}`));
    }, INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Returns how many events it purged, or null when another instance holds the lock. */
  async runOnce(now = new Date()): Promise<number | null> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const embedded = this.config.db.driver === 'pglite';
      if (!embedded) {
        const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_ID]);
        if (!locked) return null;
      }
      try {
        if (embedded) await runner.release(); // one session: give it back before the purge's own transactions
        const cutoff = new Date(now.getTime() - this.config.securityLog.retentionDays * 86_400_000);
        const point = await this.logs.lastSealedBefore(cutoff);
        if (!point) return 0;
        let purged = 0;
        for (let batch = 0; batch < 1000; batch++) {
          const n = await this.logs.purgeThrough(point, BATCH);
          purged += n;
          if (n < BATCH) break;
        }
        if (purged) this.logger.log(`Purged ${purged} security event(s) older than ${cutoff.toISOString()} (checkpoint seq ${point.seq})`);
        return purged;
      } finally {
        if (!embedded) await runner.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]);
      }
    } finally {
      if (!runner.isReleased) await runner.release();
    }
  }
}
