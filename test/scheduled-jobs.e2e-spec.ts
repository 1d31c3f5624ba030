import { SchedulerRegistry } from '@nestjs/schedule';
import { LockIds } from '../apps/auth-service/src/database/lock-ids';
import { ScheduledJobs } from '../apps/auth-service/src/infra/scheduled-jobs';
import { RunningService, startAuthService } from './support/auth-service';
import { usingPostgres } from './support/test-env';

/** A promise and its resolver, to hold a job inside its run. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('scheduled jobs (one home for background work)', () => {
  let service: RunningService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('registers every periodic task of the service with @nestjs/schedule, under one name each', async () => {
    service = await startAuthService();
    const names = service.app.get(SchedulerRegistry).getIntervals().sort();
    const expected = ['security-log.flush', 'security-log.retention', 'security-log.seal', 'sessions.housekeeping', 'signing-keys.reload', 'signing-keys.rotate', 'revoked-sessions.forget-expired'];
    if (usingPostgres()) expected.push('revoked-sessions.listener');
    expect(names).toEqual(expected.sort());
  });

  it('lets a running job finish, and stops the timers, before the database closes', async () => {
    service = await startAuthService();
    const jobs = service.app.get(ScheduledJobs);
    const hold = gate();
    let finished: unknown;
    jobs.schedule({
      name: 'test.slow-query',
      everyMs: 20,
      run: async () => {
        await hold.opened;
        finished = await service?.dataSource.query('SELECT 1 AS one');
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first tick is now waiting on the gate
    const stopping = service.stop();
    setTimeout(hold.open, 200);
    await stopping;
    // The query ran after shutdown began, and before the database closed: it answered.
    expect(finished).toEqual([{ one: 1 }]);
    expect(service.app.get(SchedulerRegistry).getIntervals()).toEqual([]);
  });

  (usingPostgres() ? it : it.skip)('(needs TEST_DATABASE_URL) runs a locked job on one instance at a time across processes', async () => {
    const a = await startAuthService();
    service = a;
    const b = await startAuthService({}, a.database);
    try {
      const hold = gate();
      const onA = a.app.get(ScheduledJobs).exclusive(LockIds.sessionsHousekeeping, async () => {
        await hold.opened;
        return 'a';
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // While A holds the lock, B's run does nothing; once A is done, B runs.
      expect(await b.app.get(ScheduledJobs).exclusive(LockIds.sessionsHousekeeping, async () => 'b')).toBeNull();
      hold.open();
      expect(await onA).toBe('a');
      expect(await b.app.get(ScheduledJobs).exclusive(LockIds.sessionsHousekeeping, async () => 'b')).toBe('b');
    } finally {
      await b.stop();
    }
  });
});

