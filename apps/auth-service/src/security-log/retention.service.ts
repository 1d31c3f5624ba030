import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LockIds } from '../database/lock-ids';
import { ScheduledJobs } from '../infra/scheduled-jobs';
import { SecurityLogRepository } from './security-log.repository';

const INTERVAL_MS = 60 * 60_000;
const BATCH = 5000;

/**
 * Purges events older than SECURITY_LOG_RETENTION_DAYS, sealed ones only, oldest first, after
 * moving the checkpoint (last purged seq and link) from which `verify` starts; one instance at a time.
 */
@Injectable()
export class SecurityLogRetention {
  private readonly logger = new Logger('SecurityLogRetention');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logs: SecurityLogRepository,
    private readonly jobs: ScheduledJobs,
  ) {
    jobs.schedule({ name: 'security-log.retention', everyMs: INTERVAL_MS, run: () => this.runOnce() });
  }

  /** Returns how many events it purged, or null when another instance holds the lock. */
  runOnce(now = new Date()): Promise<number | null> {
    return this.jobs.exclusive(LockIds.securityLogRetention, () => this.purge(now));
  }

  private async purge(now: Date): Promise<number> {
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
  }
}
