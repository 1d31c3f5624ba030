import { Injectable, Logger } from '@nestjs/common';
import { LockIds } from '../database/lock-ids';
import { ScheduledJobs } from '../infra/scheduled-jobs';
import { SessionsRepository } from './sessions.repository';

const INTERVAL_MS = 10 * 60_000;
const BATCH_SIZE = 500;
const MAX_BATCHES = 200;

/**
 * Purges expired refresh tokens and ended sessions, in small batches (each its own short
 * statement, so no long lock is held), on one instance at a time.
 */
@Injectable()
export class SessionsHousekeeping {
  private readonly logger = new Logger(SessionsHousekeeping.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly jobs: ScheduledJobs,
  ) {
    jobs.schedule({ name: 'sessions.housekeeping', everyMs: INTERVAL_MS, run: () => this.runOnce() });
  }

  /** Returns what it purged, or null when another instance holds the lock. */
  runOnce(now = new Date()): Promise<{ tokens: number; sessions: number } | null> {
    return this.jobs.exclusive(LockIds.sessionsHousekeeping, () => this.purge(now));
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
