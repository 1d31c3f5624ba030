import type { ScheduledJobs } from '../infra/scheduled-jobs';
import type { DataKeys } from '../keys/data-keys.service';
import { NO_REQUEST } from '../common/request-context';
import { SecurityLog } from './security-log.entity';
import type { SecurityLogRepository } from './security-log.repository';
import { SecurityLogService } from './security-log.service';

type Row = Omit<SecurityLog, 'id'>;

/** The batching rules only: a repository that stores rows in memory and refuses what a test says. */
function serviceWith(refuse: (rows: Row[]) => Error | undefined): { service: SecurityLogService; stored: Row[] } {
  const stored: Row[] = [];
  const repository = {
    insert: async (rows: Row[]) => {
      const error = refuse(rows);
      if (error) throw error;
      stored.push(...rows);
    },
  };
  const dataKeys = { key: () => Buffer.alloc(32, 7) } as unknown as DataKeys;
  const jobs = { schedule: () => undefined } as unknown as ScheduledJobs;
  return { service: new SecurityLogService(repository as unknown as SecurityLogRepository, dataKeys, jobs), stored };
}

const dataError = () => Object.assign(new Error('invalid byte sequence'), { driverError: { code: '22021' } });
const connectionError = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

describe('SecurityLogService.flush', () => {
  it('writes the other rows of a batch the database refuses for one row, and drops only that row', async () => {
    const { service, stored } = serviceWith((rows) => (rows.some((r) => r.identifier === 'poison') ? dataError() : undefined));
    for (const identifier of ['a', 'poison', 'b']) service.enqueue({ type: 'login_failure', identifier }, NO_REQUEST);
    await service.flush();
    expect(stored.map((r) => r.identifier)).toEqual(['a', 'b']);
    service.enqueue({ type: 'login_failure', identifier: 'c' }, NO_REQUEST);
    await service.flush();
    expect(stored.map((r) => r.identifier)).toEqual(['a', 'b', 'c']);
  });

  it('keeps the whole batch for the next try while the database is unreachable', async () => {
    let down = true;
    const { service, stored } = serviceWith(() => (down ? connectionError() : undefined));
    for (const identifier of ['a', 'b']) service.enqueue({ type: 'login_failure', identifier }, NO_REQUEST);
    await service.flush();
    expect(stored).toEqual([]);
    down = false;
    await service.flush();
    expect(stored.map((r) => r.identifier)).toEqual(['a', 'b']);
  });

  it('stores NUL and lone surrogates of client input as U+FFFD', async () => {
    const { service, stored } = serviceWith(() => undefined);
    service.enqueue({ type: 'login_failure', identifier: 'a\u0000b\udc00', details: { reason: 'x\u0000' } }, { requestId: 'r', ip: null, userAgent: 'ua\ud800' });
    await service.flush();
    expect(stored[0]).toMatchObject({ identifier: 'a\uFFFDb\uFFFD', userAgent: 'ua\uFFFD', details: { reason: 'x\uFFFD' } });
  });
});

describe('SecurityLogService.enqueueAggregated', () => {
  it('writes one row per client, identifier and minute with the count, at the latest at shutdown', async () => {
    const { service, stored } = serviceWith(() => undefined);
    const client = { requestId: 'r', ip: '10.0.0.1', userAgent: null };
    for (let i = 0; i < 5; i++) service.enqueueAggregated({ type: 'login_failure', identifier: 'a@x.io', details: { reason: 'locked' } }, client);
    service.enqueueAggregated({ type: 'rate_limited', details: { limit: 'login' } }, client);
    await service.flush();
    expect(stored).toEqual([]); // the minute is still open
    await service.flushAll();
    expect(stored.map((r) => [r.eventType, r.identifier, r.ip, r.details])).toEqual([
      ['login_failure', 'a@x.io', '10.0.0.1', { reason: 'locked', count: 5 }],
      ['rate_limited', null, '10.0.0.1', { limit: 'login', count: 1 }],
    ]);
  });
});
